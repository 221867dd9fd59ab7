import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GirderClient, type GirderClientOptions } from '@girder-worker/girder-client';
import { type GirderTestServer, startGirderTestServer } from '@girder-worker/girder-test-server';
import { assertNoLeaks, type FileSnapshot, makeTempDir, snapshotFiles } from '@girder-worker/test-helpers';
import { type Reporter, Services } from '@girder-worker/transforms';
import { afterEach, beforeEach } from 'vitest';

/** One mebibyte. */
export const MiB: number = 1024 * 1024;

/** A Girder test server with an admin client and the services a run needs. */
export interface GirderFixture {
  server: GirderTestServer;
  client: GirderClient;
  services: Services;
}

/** Client settings a test file may change (chunk size, retries); the rest comes from the server. */
export type ClientTuning = Partial<Pick<GirderClientOptions, 'chunkBytes' | 'retry'>>;

/** Starts the Girder test server on a loopback port, with an admin client tuned by `tuning`. */
async function startGirder(tuning: ClientTuning = {}): Promise<GirderFixture> {
  const server = await startGirderTestServer({ minimumChunkSize: 64 * 1024, checksums: false });
  const client = new GirderClient({
    apiUrl: server.apiUrl,
    token: server.admin.token,
    minimumChunkBytes: 64 * 1024,
    retry: { limit: 2, backoffLimitMs: 20 },
    ...tuning,
  });
  return { server, client, services: new Services({ girder: client }) };
}

/**
 * Gives every test of the calling file a fresh Girder test server, closed after the test and
 * followed by a leak check. The returned object is refilled before each test: read its fields
 * inside the test, not at file level.
 */
export function useGirder(tuning: ClientTuning = {}): GirderFixture {
  const fixture = {} as GirderFixture;
  beforeEach(async () => {
    Object.assign(fixture, await startGirder(tuning));
  });
  afterEach(async () => {
    await fixture.server.close();
    await assertNoLeaks();
  });
  return fixture;
}

/** A host folder holding a secret that no run may read, change or remove, with its snapshot. */
export async function makeVictim(): Promise<{
  dir: string;
  secret: string;
  snapshot: () => Promise<FileSnapshot>;
}> {
  const dir = join(await makeTempDir('gw-fixture-victim-'), 'victim');
  await mkdir(join(dir, 'nested'), { recursive: true, mode: 0o700 });
  const secret = join(dir, 'secret.txt');
  await writeFile(secret, 'host secret\n', { mode: 0o600 });
  await writeFile(join(dir, 'nested', 'deep.txt'), 'deep secret\n', { mode: 0o600 });
  return { dir, secret, snapshot: () => snapshotFiles(dir) };
}

/** A reporter that keeps the lines it gets, stdout and stderr apart. */
export function streamLines(): Reporter & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    log: (line, source) => (source === 'stderr' ? stderr : stdout).push(line),
    progress: () => {},
  };
}

/** A reporter that keeps the lines it gets, each prefixed with its source. */
export function lines(): Reporter & { all: string[] } {
  const all: string[] = [];
  return { all, log: (line, source) => all.push(`${source ?? 'log'}: ${line}`), progress: () => {} };
}
