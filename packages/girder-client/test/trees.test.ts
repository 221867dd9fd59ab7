import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile, makeTempDir } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import { isUnsafeNameError, safeFileName } from '../src/index.ts';
import { adminClient, MIN_CHUNK, pattern, useGirder } from './support.ts';

const girder = useGirder();

async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length))
    .sort();
}

describe('folder trees', () => {
  it('uploads a directory tree and downloads it back identical', async () => {
    const source = await makeTempDir();
    await mkdir(join(source, 'sub/deeper'), { recursive: true });
    await mkdir(join(source, 'empty-dir'));
    await writeFile(join(source, 'top.txt'), 'top');
    await writeFile(join(source, 'sub/a.txt'), 'a');
    await writeFile(join(source, 'sub/empty.bin'), '');
    await writeFile(join(source, 'sub/deeper/b.bin'), pattern(200_000));
    const client = adminClient(girder.server, { chunkBytes: MIN_CHUNK });
    const folder = await client.createFolder(girder.server.admin.privateFolderId, 'tree');
    await client.uploadDirectoryToFolder(folder._id, source);
    const subfolders = girder.server.listSubfolders(folder._id).map((f) => f.name);
    expect(subfolders.sort()).toEqual(['empty-dir', 'sub']);
    const target = await makeTempDir();
    await client.downloadFolderRecursive(folder._id, target);
    expect(await listFiles(target)).toEqual(await listFiles(source));
    for (const path of await listFiles(source))
      expect(await hashFile(join(target, path))).toBe(await hashFile(join(source, path)));
    expect((await stat(join(target, 'empty-dir'))).isDirectory()).toBe(true);
  });

  it('uploads into existing folders again without duplicating them', async () => {
    const source = await makeTempDir();
    await mkdir(join(source, 'sub'));
    await writeFile(join(source, 'sub/a.txt'), 'a');
    const client = adminClient(girder.server);
    const folder = await client.createFolder(girder.server.admin.privateFolderId, 'twice');
    await client.uploadDirectoryToFolder(folder._id, source);
    await client.uploadDirectoryToFolder(folder._id, source);
    expect(girder.server.listSubfolders(folder._id)).toHaveLength(1);
  });
});

describe('hostile names', () => {
  it('keeps every file written inside the target directory', async () => {
    const { server } = girder;
    const client = adminClient(server);
    const folder = server.createFolder({
      parentType: 'folder',
      parentId: server.admin.privateFolderId,
      name: '../escape',
    });
    const item = server.createItem({ folderId: folder._id, name: '../../evil' });
    await server.createFile({ itemId: item._id, name: '/etc/passwd', data: 'x' });
    const absolute = server.createItem({ folderId: folder._id, name: '/tmp/abs' });
    await server.createFile({ itemId: absolute._id, name: 'f', data: 'y' });
    const multi = server.createItem({ folderId: folder._id, name: 'multi' });
    await server.createFile({ itemId: multi._id, name: '../a', data: 'a' });
    await server.createFile({ itemId: multi._id, name: 'sub\\..\\..\\b', data: 'b' });
    const root = await makeTempDir();
    const target = join(root, 'inside');
    await client.downloadFolderRecursive(server.admin.privateFolderId, target);
    expect(await readdir(root)).toEqual(['inside']);
    const written = await listFiles(target);
    expect(written).toEqual(
      [
        '/.._escape/.._.._evil',
        '/.._escape/multi/.._a',
        '/.._escape/multi/sub_.._.._b',
        '/.._escape/tmp_abs',
      ].sort(),
    );
    expect(await readFile(join(target, '.._escape', '.._.._evil'), 'utf8')).toBe('x');
  });

  it('refuses names that cannot be a file name with an UnsafeNameError, writing nothing', async () => {
    const { server } = girder;
    const folder = server.createFolder({
      parentType: 'folder',
      parentId: server.admin.privateFolderId,
      name: 'f',
    });
    const item = server.createItem({ folderId: folder._id, name: '..' });
    await server.createFile({ itemId: item._id, name: 'x', data: 'x' });
    const dir = await makeTempDir();
    const error = await adminClient(server)
      .downloadItem(item._id, dir)
      .catch((e: unknown) => e);
    expect(isUnsafeNameError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'GIRDER_UNSAFE_NAME' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('sanitizes names: separators become _, leading separators go, ., .., empty and NUL are refused', () => {
    expect(safeFileName('a/b\\c')).toBe('a_b_c');
    expect(safeFileName('//abs')).toBe('abs');
    expect(safeFileName('...')).toBe('...');
    for (const bad of ['', '.', '..', '/', 'a\0b', '/..'])
      expect(() => safeFileName(bad), JSON.stringify(bad)).toThrow(/cannot be used as a file name/);
  });
});
