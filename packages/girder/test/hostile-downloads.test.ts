import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerRun } from '@girder-worker/docker';
import { assertUnchanged, LOCAL_IMAGE, makeTempDir, snapshotFiles } from '@girder-worker/test-helpers';
import { BindMountVolume, isTransformError, isUnsafePathError } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import { GirderFileIdToVolume, GirderFolderIdToVolume, GirderItemIdToVolume } from '../src/index.ts';
import { lines, makeVictim, useGirder } from './support.ts';

const girder = useGirder();

async function girderFolder(parentId: string, name: string): Promise<string> {
  return girder.server.createFolder({ parentType: 'folder', parentId, name })._id;
}

async function girderItem(folderId: string, name: string, files: Record<string, string>): Promise<string> {
  const item = girder.server.createItem({ folderId, name });
  for (const [fileName, data] of Object.entries(files)) {
    await girder.server.createFile({ itemId: item._id, name: fileName, data });
  }
  return item._id;
}

/** A host folder mounted rw at /mnt/s in several runs, as a deployment's shared scratch space. */
async function sharedMount(): Promise<{ dir: string; volume: BindMountVolume }> {
  const dir = join(await makeTempDir(), 'shared');
  await mkdir(dir, { mode: 0o777 });
  return { dir, volume: new BindMountVolume(dir, '/mnt/s') };
}

function expectRefused(error: unknown, reason: string): void {
  expect(isTransformError(error), String(error)).toBe(true);
  const cause = (error as { cause?: unknown }).cause;
  expect(isUnsafePathError(cause), String(cause)).toBe(true);
  expect((cause as { reason: string }).reason).toBe(reason);
}

describe('downloads never follow a link an earlier container left (issue 12 case 3)', () => {
  it('refuses to download a folder or a file through a link in a shared bind mount', async () => {
    const victim = await makeVictim();
    const before = await victim.snapshot();
    const { volume } = await sharedMount();
    const root = girder.server.admin.privateFolderId;
    const folderId = await girderFolder(root, 'data');
    await girderItem(folderId, 'secret.txt', { 'secret.txt': 'from girder\n' });
    const itemId = await girderItem(root, 'one.txt', { 'one.txt': 'one\n' });
    const [file] = girder.server.listItemFiles(itemId);
    const fileId = file?._id as string;
    // An earlier run's container plants links named after the ids the next run will download.
    await dockerRun({
      ...LOCAL_IMAGE,
      volumes: [volume],
      containerArgs: [
        'sh',
        '-c',
        `ln -s ${victim.dir} /mnt/s/${folderId} && ln -s ${victim.dir} /mnt/s/${fileId} && ln -s ${victim.dir} /mnt/s/${itemId}`,
      ],
    });
    for (const transform of [
      new GirderFolderIdToVolume(folderId, { volume }),
      new GirderFileIdToVolume(fileId, { volume }),
      new GirderItemIdToVolume(itemId, { volume }),
    ]) {
      const error = await dockerRun({
        ...LOCAL_IMAGE,
        services: girder.services,
        containerArgs: ['cat', transform],
      }).catch((e: unknown) => e);
      expectRefused(error, 'symlink');
    }
    await assertUnchanged(before);
  });
});

describe('downloads never overwrite what the run did not create (issue 12 case 6)', () => {
  it('refuses a filename that exists in a bind mount, and cleanup keeps the user file', async () => {
    const { dir, volume } = await sharedMount();
    await writeFile(join(dir, 'existing.txt'), 'user data\n');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'kept.txt'), 'kept\n');
    const before = await snapshotFiles(dir);
    const itemId = await girderItem(girder.server.admin.privateFolderId, 'x', { 'x.txt': 'girder data\n' });
    const fileId = girder.server.listItemFiles(itemId)[0]?._id as string;
    const error = await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      containerArgs: ['cat', new GirderFileIdToVolume(fileId, { volume, filename: 'existing.txt' })],
    }).catch((e: unknown) => e);
    expectRefused(error, 'exists');
    expect((error as Error).message).toContain('existing.txt');
    await assertUnchanged(before);

    // A new name in an existing folder is written, read, and removed afterwards; the folder stays.
    const out = lines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      reporter: out,
      containerArgs: ['cat', new GirderFileIdToVolume(fileId, { volume, filename: 'sub/new/x.txt' })],
    });
    expect(out.all).toEqual(['stdout: girder data']);
    await assertUnchanged(before);
  });

  it('removes what a failed download wrote into a bind mount, and nothing else', async () => {
    const { dir, volume } = await sharedMount();
    await writeFile(join(dir, 'user.txt'), 'user data\n');
    const before = await snapshotFiles(dir);
    const folderId = await girderFolder(girder.server.admin.privateFolderId, 'big');
    await girderItem(folderId, 'a.txt', { 'a.txt': 'a\n' });
    await girderItem(folderId, 'b.txt', { 'b.txt': 'b\n' });
    girder.server.faults.failNext({ path: /^\/file\/[0-9a-f]+\/download$/, status: 400, after: 1 });
    const error = await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      containerArgs: ['ls', new GirderFolderIdToVolume(folderId, { volume })],
    }).catch((e: unknown) => e);
    expect(isTransformError(error), String(error)).toBe(true);
    await assertUnchanged(before);
  });
});

describe('download names are distinct and made the same way at every level (issue 12 case 14)', () => {
  it('gives a/b, a\\b and a_b three names, a folder y/z and an item y_z two, in folders and items alike', async () => {
    const root = await girderFolder(girder.server.admin.privateFolderId, 'top/level');
    await girderItem(root, 'a/b', { 'a/b': 'slash\n' });
    await girderItem(root, 'a\\b', { 'a\\b': 'backslash\n' });
    await girderItem(root, 'a_b', { a_b: 'underscore\n' });
    const yz = await girderFolder(root, 'y/z');
    await girderItem(yz, 'c/d', { 'c/d': 'nested slash\n' });
    await girderItem(yz, 'c_d', { c_d: 'nested underscore\n' });
    await girderItem(root, 'y_z', { y_z: 'item y_z\n' });
    await girderItem(root, 'multi', { 'f/1': 'file slash\n', f_1: 'file underscore\n' });
    const out = lines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      reporter: out,
      containerArgs: [
        'sh',
        '-c',
        'cd "$0" && basename "$PWD" && find . -type f | sort | while read f; do echo "$f=$(cat "$f")"; done',
        new GirderFolderIdToVolume(root),
      ],
    });
    const [name, ...files] = out.all;
    expect(name).toBe('stdout: top_level');
    const contents = files.map((line) => line.replace(/^stdout: /, ''));
    expect(contents.map((line) => line.split('=')[1]).sort()).toEqual(
      [
        'backslash',
        'file slash',
        'file underscore',
        'item y_z',
        'nested slash',
        'nested underscore',
        'slash',
        'underscore',
      ].sort(),
    );
    const paths = contents.map((line) => line.split('=')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        './a_b',
        './a_b (2)',
        './a_b (3)',
        './y_z/c_d',
        './y_z/c_d (2)',
        './y_z (2)',
        './multi/f_1',
        './multi/f_1 (2)',
      ]),
    );
    expect(paths).toHaveLength(8);
  });

  it('downloads an item the same way: a one-file item as its name, files of a multi-file item distinct', async () => {
    const itemId = await girderItem(girder.server.admin.privateFolderId, 'pair/x', {
      'p/t': 'first\n',
      p_t: 'second\n',
    });
    const single = await girderItem(girder.server.admin.privateFolderId, 'solo', { 'solo.txt': 'solo\n' });
    const out = lines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      reporter: out,
      containerArgs: [
        'sh',
        '-c',
        'basename "$0"; ls "$0"; cat "$1"',
        new GirderItemIdToVolume(itemId),
        new GirderItemIdToVolume(single),
      ],
    });
    expect(out.all).toEqual(['stdout: pair_x', 'stdout: p_t', 'stdout: p_t (2)', 'stdout: solo']);
  });
});

describe('strict revival of Girder kinds (issue 12 case 7)', () => {
  it('refuses unknown fields in Girder transforms and their volumes, naming the JSON path', async () => {
    const { createRegistry, revive } = await import('@girder-worker/transforms');
    const { girderKinds } = await import('../src/index.ts');
    const registry = createRegistry(girderKinds);
    const id = '0123456789abcdef01234567';
    expect(() =>
      revive({ $transform: 'GirderFileIdToVolume', fileId: id, fileName: 'x' }, registry, 'containerArgs[0]'),
    ).toThrow('containerArgs[0].fileName: expected no such field on a GirderFileIdToVolume');
    expect(() =>
      revive(
        {
          $transform: 'GirderFolderIdToVolume',
          folderId: id,
          volume: {
            $transform: 'BindMountVolume',
            hostPath: '/h',
            containerPath: '/c',
            mode: 'ro',
            Mode: 'rw',
          },
        },
        registry,
        'containerArgs[0]',
      ),
    ).toThrow('containerArgs[0].volume.Mode: expected no such field on a BindMountVolume');
    expect(() =>
      revive(
        {
          $transform: 'GirderUploadVolumePathToItem',
          volumePath: { $transform: 'VolumePath', filename: 'o.txt' },
          itemId: id,
          delete_file: true,
        },
        registry,
        'resultHooks[0]',
      ),
    ).toThrow('resultHooks[0].delete_file: expected no such field on a GirderUploadVolumePathToItem');
  });
});
