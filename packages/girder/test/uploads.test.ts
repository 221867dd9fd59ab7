import { dockerRun } from '@girder-worker/docker';
import { Connect, NamedOutputPipe } from '@girder-worker/pipes';
import { LOCAL_IMAGE, sha256Hex } from '@girder-worker/test-helpers';
import { VolumePath } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import {
  GirderItemMetadata,
  GirderUploadStream,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
} from '../src/index.ts';
import { MiB, useGirder } from './support.ts';

const girder = useGirder({ chunkBytes: 8 * MiB, retry: { limit: 3, backoffLimitMs: 20 } });

describe('container output into Girder', () => {
  it('uploads a VolumePath to an item, surviving a 503 on a chunk, and sets metadata', async () => {
    const { server, services } = girder;
    const item = server.createItem({ folderId: server.admin.privateFolderId, name: 'results' });
    const out = new VolumePath('result.txt');
    server.faults.failNext({ path: '/file/chunk', status: 503 });
    const { results } = await dockerRun({
      ...LOCAL_IMAGE,
      services,
      containerArgs: ['sh', '-c', 'seq 1 1000 > "$0"', out],
      resultHooks: [new GirderUploadVolumePathToItem(out, item._id), new GirderItemMetadata(item._id)],
    });
    const [fileId] = results as [string];
    expect((await server.getFileBytes(fileId)).toString()).toBe(
      Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''),
    );
    expect(server.getItem(item._id).meta).toMatchObject({ exitCode: 0 });
  });

  it('uploads a directory the container wrote, recursively, to a folder', async () => {
    const { server, services } = girder;
    const folder = server.createFolder({
      parentType: 'folder',
      parentId: server.admin.privateFolderId,
      name: 'outputs',
    });
    const dir = new VolumePath('outdir');
    await dockerRun({
      ...LOCAL_IMAGE,
      services,
      containerArgs: [
        'sh',
        '-c',
        'mkdir -p "$0/sub" && echo 1 > "$0/one.txt" && echo 2 > "$0/sub/two.txt"',
        dir,
      ],
      resultHooks: [new GirderUploadVolumePathToFolder(dir, folder._id)],
    });
    expect(server.listFolderItems(folder._id).map((i) => i.name)).toEqual(['one.txt']);
    const [sub] = server.listSubfolders(folder._id);
    expect(sub?.name).toBe('sub');
    expect(server.listFolderItems(sub?._id as string).map((i) => i.name)).toEqual(['two.txt']);
  });

  it('streams a named output pipe into a new Girder file with a declared size (1 GiB, flat memory)', async () => {
    const { server, services } = girder;
    // The server shares this process. Baseline: the same upload of 64 MiB just before (every
    // buffer, pool and connection already there); 1 GiB may add no more than a margin that
    // holds on a loaded machine. Absolute figures are in the benches.
    const upload = async (name: string, size: number): Promise<number> => {
      global.gc?.();
      let peak = process.memoryUsage().rss;
      const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        await dockerRun({
          ...LOCAL_IMAGE,
          services,
          containerArgs: [
            'sh',
            '-c',
            `dd if=/dev/zero bs=1M count=${size / MiB} 2>/dev/null > "$0"`,
            new Connect(
              new NamedOutputPipe('out'),
              new GirderUploadStream({
                parentType: 'folder',
                parentId: server.admin.privateFolderId,
                name,
                size,
              }),
            ),
          ],
        });
      } finally {
        clearInterval(sample);
      }
      const item = server.listFolderItems(server.admin.privateFolderId).find((i) => i.name === name);
      const [file] = server.listItemFiles(item?._id as string);
      expect(file?.size).toBe(size);
      return Math.max(peak, process.memoryUsage().rss);
    };
    const baseline = await upload('baseline.bin', 64 * MiB);
    const peak = await upload('zeros.bin', 1024 * MiB);
    expect((peak - baseline) / MiB).toBeLessThan(96);
  }, 300_000); // two uploads on a machine that may be busy: a hang, not slowness, should fail

  it('streams a named output pipe of unknown size into Girder (spooled)', async () => {
    const { server, services } = girder;
    await dockerRun({
      ...LOCAL_IMAGE,
      services,
      containerArgs: [
        'sh',
        '-c',
        'seq 1 200000 > "$0"',
        new Connect(
          new NamedOutputPipe('out'),
          new GirderUploadStream({
            parentType: 'folder',
            parentId: server.admin.privateFolderId,
            name: 'seq.txt',
          }),
        ),
      ],
    });
    const item = server.listFolderItems(server.admin.privateFolderId).find((i) => i.name === 'seq.txt');
    const [file] = server.listItemFiles(item?._id as string);
    const expected = Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('');
    const bytes = await server.getFileBytes(file?._id as string);
    expect(sha256Hex(bytes)).toBe(sha256Hex(expected));
  });
});
