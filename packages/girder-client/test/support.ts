import { type GirderTestServer, startGirderTestServer } from '@girder-worker/girder-test-server';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterEach, beforeEach } from 'vitest';
import {
  createGirderClient,
  type GirderClient,
  type GirderClientOptions,
  type Logger,
} from '../src/index.ts';

/** The minimum chunk size both the test server and the clients use (Girder's is 5 MiB). */
export const MIN_CHUNK: number = 64 * 1024;
export const MiB: number = 1024 * 1024;

/** A fresh test server per test (checksums off: faster), closed and leak-checked after it. */
export function useGirder(): { readonly server: GirderTestServer } {
  const holder: { server: GirderTestServer } = { server: undefined as unknown as GirderTestServer };
  beforeEach(async () => {
    holder.server = await startGirderTestServer({ minimumChunkSize: MIN_CHUNK, checksums: false });
  });
  afterEach(async () => {
    await holder.server.close();
    await assertNoLeaks({ containers: false });
  });
  return holder;
}

/** A client logged in as the test server's admin (by token). */
export function adminClient(
  server: GirderTestServer,
  extra: Partial<GirderClientOptions> = {},
): GirderClient {
  return createGirderClient({
    apiUrl: server.apiUrl,
    token: server.admin.token,
    minimumChunkBytes: MIN_CHUNK,
    retry: { limit: 3, backoffLimitMs: 20 },
    ...extra,
  });
}

/** A logger keeping every line, to assert on what the client logs. */
export function recordingLogger(): Logger & { lines: string[]; text: () => string } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, context?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
  };
  return {
    lines,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    text: () => lines.join('\n'),
  };
}

/** Bytes 0..n-1 following a simple pattern (differs at every offset modulo 251). */
export function pattern(n: number, seed = 1): Buffer {
  const data = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) data[i] = (i * seed + (i >> 8)) % 251;
  return data;
}

/** What a thrown promise rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/**
 * A new item in the admin's private folder holding one file `name` with `data`; returns the file.
 * @param server - the test server
 * @param data - the file's bytes
 * @param name - the file's name (the item is `item-<name>`)
 */
export function girderFile(
  server: GirderTestServer,
  data: Buffer | string,
  name = 'data.bin',
): ReturnType<GirderTestServer['createFile']> {
  const item = server.createItem({ folderId: server.admin.privateFolderId, name: `item-${name}` });
  return server.createFile({ itemId: item._id, name, data });
}

/** The download requests (GET …/download) the test server got so far, in order. */
export function downloadRequests(server: GirderTestServer): GirderTestServer['requests'] {
  return server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/download'));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
