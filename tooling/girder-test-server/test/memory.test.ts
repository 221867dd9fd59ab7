import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GirderTestServer, startGirderTestServer } from '../src/index.ts';
import { api, jsonOf } from './helpers.ts';

const run = promisify(execFile);
const SIZE = 256 * 1024 * 1024;
const PIECE = 1024 * 1024;

let girder: GirderTestServer;
let scratch: string;
beforeAll(async () => {
  girder = await startGirderTestServer();
  scratch = await mkdtemp(join(tmpdir(), 'memory-test-'));
});
afterAll(async () => {
  await girder.close();
  await rm(scratch, { recursive: true, force: true });
  await assertNoLeaks({ containers: false });
});

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Samples this process's RSS (the server runs here; the client is curl, another process). */
function peakRss(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

describe('large bodies', () => {
  it('streams a 256 MiB chunk to disk and a 256 MiB download from disk with flat memory', async () => {
    const source = join(scratch, 'source.bin');
    const handle = await open(source, 'w');
    for (let i = 0; i < SIZE / PIECE; i++) await handle.write(Buffer.alloc(PIECE, (i * 31) & 0xff));
    await handle.close();
    const digest = await hashFile(source);

    const upload = await jsonOf<{ _id: string }>(
      await api(
        girder,
        `/file?parentType=folder&parentId=${girder.admin.privateFolderId}&name=big.bin&size=${SIZE}`,
        {
          method: 'POST',
          token: girder.admin.token,
        },
      ),
    );
    const before = process.memoryUsage().rss;
    const upPeak = peakRss();
    const { stdout } = await run('curl', [
      '-sS',
      '--fail-with-body',
      '-X',
      'POST',
      '-H',
      `Girder-Token: ${girder.admin.token}`,
      '-H',
      'Content-Type: application/octet-stream',
      '--data-binary',
      `@${source}`,
      `${girder.apiUrl}/file/chunk?uploadId=${upload.body._id}&offset=0`,
    ]);
    const upGrowth = upPeak.stop() - before;
    const file = JSON.parse(stdout) as { _id: string; size: number; sha512: string };
    expect(file).toMatchObject({ size: SIZE, sha512: digest });

    const target = join(scratch, 'target.bin');
    const downPeak = peakRss();
    await run('curl', [
      '-sS',
      '--fail',
      '-H',
      `Girder-Token: ${girder.admin.token}`,
      '-o',
      target,
      `${girder.apiUrl}/file/${file._id}/download`,
    ]);
    const downGrowth = downPeak.stop() - before;
    expect(await hashFile(target)).toBe(digest);
    expect(upGrowth).toBeLessThan(64 * 1024 * 1024);
    expect(downGrowth).toBeLessThan(64 * 1024 * 1024);
  });
});
