import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { hashStream, makeTempDir, writeRandomFile } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import { adminClient, MiB, useGirder } from './support.ts';

const girder = useGirder();
const SIZE = 1024 * MiB;
const BASELINE_SIZE = 64 * MiB;

describe('1 GiB', () => {
  it('uploads a Readable and downloads it back byte-exact while RSS stays flat', async () => {
    const dir = await makeTempDir();
    const client = adminClient(girder.server, { chunkBytes: 8 * MiB });
    /** Uploads `size` random bytes and downloads them back; returns the peak RSS meanwhile. */
    const roundTrip = async (name: string, size: number): Promise<number> => {
      const path = join(dir, name);
      const expected = await writeRandomFile(path, size);
      let peak = process.memoryUsage().rss;
      const sample = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      try {
        const uploaded = await client.uploadFile(
          { parentType: 'folder', parentId: girder.server.admin.privateFolderId, name, size },
          createReadStream(path),
        );
        expect(uploaded.size).toBe(size);
        expect(await hashStream(client.downloadFile(uploaded._id))).toBe(expected);
      } finally {
        clearInterval(sample);
      }
      return Math.max(peak, process.memoryUsage().rss);
    };
    // The server shares this process. Baseline: the same round trip of 64 MiB just before (every
    // buffer, pool and connection already there); 1 GiB may add no more than a margin that holds
    // on a loaded machine (the whole file would be 1024 MiB). Absolute figures are in bench/.
    const baseline = await roundTrip('baseline.bin', BASELINE_SIZE);
    const peak = await roundTrip('big.bin', SIZE);
    expect((peak - baseline) / MiB).toBeLessThan(96);
  }, 600_000); // two round trips on a machine that may be busy: a hang, not slowness, should fail
});
