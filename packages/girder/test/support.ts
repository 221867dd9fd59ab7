import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GirderClient } from '@girder-worker/girder-client';
import { type GirderTestServer, startGirderTestServer } from '@girder-worker/girder-test-server';
import { type FileSnapshot, makeTempDir, snapshotFiles, TEST_IMAGE } from '@girder-worker/test-helpers';
import { type Reporter, Services } from '@girder-worker/transforms';

/** A Girder test server with an admin client and the services a run needs. */
export interface GirderFixture {
  server: GirderTestServer;
  client: GirderClient;
  services: Services;
}

/** Starts the Girder test server on a loopback port. */
export async function startGirder(): Promise<GirderFixture> {
  const server = await startGirderTestServer({ minimumChunkSize: 64 * 1024, checksums: false });
  const client = new GirderClient({
    apiUrl: server.apiUrl,
    token: server.admin.token,
    minimumChunkBytes: 64 * 1024,
    retry: { limit: 2, backoffLimitMs: 20 },
  });
  return { server, client, services: new Services({ girder: client }) };
}

/** dockerRun options every test shares: the local test image, never pulled. */
export const base: { readonly image: string; readonly pullImage: false } = {
  image: TEST_IMAGE,
  pullImage: false,
};

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

/** A reporter that keeps the lines it gets. */
export function lines(): Reporter & { all: string[] } {
  const all: string[] = [];
  return { all, log: (line, source) => all.push(`${source ?? 'log'}: ${line}`), progress: () => {} };
}
