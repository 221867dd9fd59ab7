import { join } from 'node:path';
import { dockerRun } from '@girder-worker/docker';
import { Connect, NamedInputPipe } from '@girder-worker/pipes';
import { LOCAL_IMAGE, makeTempDir, writeRandomFile } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
} from '../src/index.ts';
import { MiB, streamLines, useGirder } from './support.ts';

const girder = useGirder({ chunkBytes: 8 * MiB, retry: { limit: 3, backoffLimitMs: 20 } });

async function girderFile(name: string, data: Buffer | string): Promise<{ fileId: string; itemId: string }> {
  const { server } = girder;
  const item = server.createItem({ folderId: server.admin.privateFolderId, name });
  const file = await server.createFile({ itemId: item._id, name, data });
  return { fileId: file._id, itemId: item._id };
}

describe('Girder data into containers', () => {
  it('downloads a file to the run volume and the container reads it', async () => {
    const { services } = girder;
    const { fileId } = await girderFile('hello.txt', 'hello from girder\n');
    const out = streamLines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services,
      reporter: out,
      containerArgs: ['sh', '-c', 'echo "$0"; cat "$0"', new GirderFileIdToVolume(fileId)],
    });
    expect(out.stdout[0]).toMatch(new RegExp(`^/mnt/girder_worker/[0-9a-f]{32}/${fileId}/hello.txt$`));
    expect(out.stdout[1]).toBe('hello from girder');
  });

  it('streams a file through a named pipe, byte-exact, surviving a cut connection and a 503', async () => {
    const { server, services } = girder;
    const dir = await makeTempDir();
    const expected = await writeRandomFile(join(dir, 'data.bin'), 64 * MiB);
    const item = server.createItem({ folderId: server.admin.privateFolderId, name: 'data.bin' });
    const file = await server.createFile({
      itemId: item._id,
      name: 'data.bin',
      data: { path: join(dir, 'data.bin') },
    });
    // The connection drops after 10 MiB, and the first resume is answered 503: both are survived.
    server.faults.cutDownload({ afterBytes: 10 * MiB });
    server.faults.failNext({ method: 'GET', path: /\/download$/, status: 503, after: 1 });
    const out = streamLines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services,
      reporter: out,
      containerArgs: [
        'sh',
        '-c',
        'sha256sum < "$0"',
        new Connect(new GirderFileIdToStream(file._id), new NamedInputPipe('input')),
      ],
    });
    expect(out.stdout).toEqual([`${expected}  -`]);
    const downloads = server.requests.filter((r) => r.path.endsWith('/download')).map((r) => r.status);
    expect(downloads).toEqual([200, 503, 206]);
  });

  it('downloads an item with three files and the container lists them', async () => {
    const { server, services } = girder;
    const item = server.createItem({ folderId: server.admin.privateFolderId, name: 'three' });
    for (const name of ['a.txt', 'b.txt', 'c.txt'])
      await server.createFile({ itemId: item._id, name, data: name });
    const out = streamLines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services,
      reporter: out,
      containerArgs: ['sh', '-c', 'basename "$0"; ls "$0"', new GirderItemIdToVolume(item._id)],
    });
    expect(out.stdout).toEqual(['three', 'a.txt', 'b.txt', 'c.txt']);
  });

  it('downloads a folder recursively', async () => {
    const { server, services } = girder;
    const folder = server.createFolder({
      parentType: 'folder',
      parentId: server.admin.privateFolderId,
      name: 'tree',
    });
    const sub = server.createFolder({ parentType: 'folder', parentId: folder._id, name: 'sub' });
    const a = server.createItem({ folderId: folder._id, name: 'top.txt' });
    await server.createFile({ itemId: a._id, name: 'top.txt', data: 'top' });
    const b = server.createItem({ folderId: sub._id, name: 'deep.txt' });
    await server.createFile({ itemId: b._id, name: 'deep.txt', data: 'deep' });
    const out = streamLines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services,
      reporter: out,
      containerArgs: [
        'sh',
        '-c',
        'cd "$0" && find . -type f | sort && cat sub/deep.txt',
        new GirderFolderIdToVolume(folder._id),
      ],
    });
    expect(out.stdout).toEqual(['./sub/deep.txt', './top.txt', 'deep']);
  });

  it('keeps a file named ../../evil inside its volume', async () => {
    const { services } = girder;
    const { fileId } = await girderFile('../../evil', 'x');
    const out = streamLines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services,
      reporter: out,
      containerArgs: ['sh', '-c', 'echo "$0"; cat "$0"', new GirderFileIdToVolume(fileId)],
    });
    expect(out.stdout[0]).toMatch(new RegExp(`/${fileId}/\\.\\._\\.\\._evil$`));
    expect(out.stdout[1]).toBe('x');
  });
});
