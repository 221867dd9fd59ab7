import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoLeaks, makeTempDir, snapshotFiles } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  CreatedPaths,
  createFileBeneath,
  createTransformContext,
  isUnsafePathError,
  lstatBeneath,
  openDirBeneath,
  openFileBeneath,
  removeBeneath,
  TemporaryVolume,
  transformArguments,
  UnsafePathError,
  VolumePath,
  visitTreeBeneath,
} from '../src/index.ts';

/** A volume root and, beside it, a victim folder that nothing may touch. */
async function volumeAndVictim(): Promise<{ root: string; victim: string }> {
  const base = await makeTempDir();
  const root = join(base, 'volume');
  const victim = join(base, 'victim');
  await mkdir(root);
  await mkdir(victim, { mode: 0o700 });
  await writeFile(join(victim, 'secret.txt'), 'host secret', { mode: 0o600 });
  return { root, victim };
}

let unchanged: Awaited<ReturnType<typeof snapshotFiles>>[] = [];
afterEach(async () => {
  const snapshots = unchanged;
  unchanged = [];
  await assertNoLeaks({ containers: false, unchanged: snapshots });
});

describe('reading beneath a root', () => {
  it('refuses a symbolic link as the file, as a folder on the way, and a dangling one', async () => {
    const { root, victim } = await volumeAndVictim();
    unchanged.push(await snapshotFiles(victim));
    await symlink(join(victim, 'secret.txt'), join(root, 'result.txt'));
    await symlink(victim, join(root, 'out'));
    await symlink(join(victim, 'missing'), join(root, 'dangling'));
    for (const path of ['result.txt', 'out/secret.txt', 'dangling']) {
      const error = await openFileBeneath(root, path).catch((e: unknown) => e);
      expect(isUnsafePathError(error), path).toBe(true);
      expect((error as UnsafePathError).reason).toBe('symlink');
      expect((error as Error).message).toContain('symbolic link');
      expect((error as Error).message).not.toContain('/proc/self');
    }
  });

  it('refuses a FIFO without blocking on it, and a folder where a file is expected', async () => {
    const { root } = await volumeAndVictim();
    execFileSync('mkfifo', [join(root, 'fifo')]);
    await mkdir(join(root, 'dir'));
    await expect(openFileBeneath(root, 'fifo')).rejects.toMatchObject({ reason: 'not-a-file' });
    await expect(openFileBeneath(root, 'dir')).rejects.toMatchObject({ reason: 'not-a-file' });
  });

  it('reads a regular file and gives its stats from the descriptor', async () => {
    const { root } = await volumeAndVictim();
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'a', 'b.txt'), 'hello');
    const { handle, stats } = await openFileBeneath(root, './a//b.txt');
    try {
      expect(stats.size).toBe(5);
      expect((await handle.readFile()).toString()).toBe('hello');
    } finally {
      await handle.close();
    }
  });

  it.each(['..', 'a/../..', 'a/..', '/etc/passwd', 'a\0b'])('refuses %j as escaping', async (path) => {
    const { root } = await volumeAndVictim();
    await mkdir(join(root, 'a'));
    await expect(openFileBeneath(root, path)).rejects.toMatchObject({ reason: 'escape' });
  });

  it('tells a missing file from a refused one', async () => {
    const { root } = await volumeAndVictim();
    await expect(openFileBeneath(root, 'nope.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await lstatBeneath(root, 'nope.txt')).toBeUndefined();
    expect((await lstatBeneath(root, '.'))?.isDirectory()).toBe(true);
  });
});

describe('creating beneath a root', () => {
  it('creates exclusively: never over a file, never through a link', async () => {
    const { root, victim } = await volumeAndVictim();
    unchanged.push(await snapshotFiles(victim));
    await writeFile(join(root, 'existing.txt'), 'user data');
    await symlink(join(victim, 'secret.txt'), join(root, 'link.txt'));
    await symlink(victim, join(root, 'linked-dir'));
    const record = new CreatedPaths();
    await expect(createFileBeneath(root, 'existing.txt', { record })).rejects.toMatchObject({
      reason: 'exists',
    });
    await expect(createFileBeneath(root, 'link.txt', { record })).rejects.toMatchObject({ reason: 'exists' });
    await expect(createFileBeneath(root, 'linked-dir/new.txt', { record })).rejects.toMatchObject({
      reason: 'symlink',
    });
    expect(record.entries).toHaveLength(0);
    expect(await readFile(join(root, 'existing.txt'), 'utf8')).toBe('user data');
  });

  it('records the folders and file it made, and removes only those', async () => {
    const { root } = await volumeAndVictim();
    await mkdir(join(root, 'kept'));
    await writeFile(join(root, 'kept', 'user.txt'), 'user');
    const record = new CreatedPaths();
    const handle = await createFileBeneath(root, 'kept/new/deeper/file.txt', { record });
    await handle.write('ours');
    await handle.close();
    expect(record.entries.map((e) => e.relative)).toEqual([
      'kept/new',
      'kept/new/deeper',
      'kept/new/deeper/file.txt',
    ]);
    await record.removeAll();
    expect(await readdir(join(root, 'kept'))).toEqual(['user.txt']);
  });

  it('leaves a created file alone once something else was put in its place', async () => {
    const { root } = await volumeAndVictim();
    const record = new CreatedPaths();
    await (await createFileBeneath(root, 'out.txt', { record })).close();
    await unlink(join(root, 'out.txt'));
    await writeFile(join(root, 'out.txt'), 'not ours');
    await record.removeAll();
    expect(await readFile(join(root, 'out.txt'), 'utf8')).toBe('not ours');
  });

  it('does not follow a folder on the way that became a link before cleanup', async () => {
    const { root, victim } = await volumeAndVictim();
    const record = new CreatedPaths();
    await (await createFileBeneath(root, 'd/secret.txt', { record, createParents: true })).close();
    // Only the file is recorded as ours here: pretend the folder existed.
    const fileOnly = new CreatedPaths();
    const [, file] = record.entries;
    if (!file) throw new Error('no file entry');
    fileOnly.add(root, file.relative, await stat(join(root, file.relative)));
    await record.removeAll();
    await mkdir(join(root, 'x'));
    await symlink(victim, join(root, 'd'));
    unchanged.push(await snapshotFiles(victim));
    await fileOnly.removeAll();
    expect(await readFile(join(victim, 'secret.txt'), 'utf8')).toBe('host secret');
  });
});

describe('removing beneath a root', () => {
  it.each(['', '.', 'a/..', './'])('never removes the root itself (%j)', async (path) => {
    const { root } = await volumeAndVictim();
    await mkdir(join(root, 'a'));
    await expect(removeBeneath(root, path)).rejects.toSatisfy(
      (e: unknown) => isUnsafePathError(e) && ['root', 'escape'].includes(e.reason),
    );
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it('removes a folder holding links without following them', async () => {
    const { root, victim } = await volumeAndVictim();
    unchanged.push(await snapshotFiles(victim));
    await mkdir(join(root, 'out', 'sub'), { recursive: true });
    await symlink(victim, join(root, 'out', 'sub', 'to-victim'));
    await symlink(join(victim, 'secret.txt'), join(root, 'out', 'secret-link'));
    await removeBeneath(root, 'out');
    expect(await readdir(root)).toEqual([]);
  });

  it('removes only the link when the path itself is a link to a folder', async () => {
    const { root, victim } = await volumeAndVictim();
    unchanged.push(await snapshotFiles(victim));
    await symlink(victim, join(root, 'out'));
    await removeBeneath(root, 'out');
    expect(await readdir(root)).toEqual([]);
  });
});

describe('walking a folder beneath a root', () => {
  it('visits folders and files in name order, skips FIFOs, and refuses a link inside', async () => {
    const { root, victim } = await volumeAndVictim();
    await mkdir(join(root, 'out', 'b'), { recursive: true });
    await writeFile(join(root, 'out', 'a.txt'), 'a');
    await writeFile(join(root, 'out', 'b', 'c.txt'), 'cc');
    execFileSync('mkfifo', [join(root, 'out', 'pipe')]);
    const seen: string[] = [];
    await visitTreeBeneath(
      root,
      'out',
      {
        directory: async (entry, parent) => {
          seen.push(`dir ${entry.relative} in ${parent}`);
          return entry.name;
        },
        file: async (entry, parent) => {
          seen.push(`file ${entry.relative} (${entry.stats.size}) in ${parent}`);
        },
        skipped: (entry) => seen.push(`skipped ${entry.relative}: ${entry.kind}`),
      },
      'top',
    );
    expect(seen).toEqual([
      'file out/a.txt (1) in top',
      'dir out/b in top',
      'file out/b/c.txt (2) in b',
      'skipped out/pipe: a named pipe',
    ]);
    await symlink(victim, join(root, 'out', 'b', 'evil'));
    const visitor = { directory: async () => '', file: async () => {} };
    await expect(visitTreeBeneath(root, 'out', visitor, '')).rejects.toMatchObject({ reason: 'symlink' });
    await symlink(victim, join(root, 'linked'));
    await expect(visitTreeBeneath(root, 'linked', visitor, '')).rejects.toBeInstanceOf(UnsafePathError);
  });

  it('opens a folder path only through real folders', async () => {
    const { root, victim } = await volumeAndVictim();
    await symlink(victim, join(root, 'v'));
    await expect(openDirBeneath(root, 'v')).rejects.toMatchObject({ reason: 'symlink' });
  });
});

describe('BindMountVolume host folder', () => {
  it('creates a missing host folder for the run and removes it afterwards; keeps one that existed', async () => {
    const base = await makeTempDir();
    const missing = new BindMountVolume(join(base, 'made', 'for', 'run'), '/mnt/made');
    await mkdir(join(base, 'existing'));
    await writeFile(join(base, 'existing', 'user.txt'), 'user');
    const existing = new BindMountVolume(join(base, 'existing'), '/mnt/existing');
    const run = new TemporaryVolume();
    await run.create();
    try {
      const ctx = createTransformContext({ temporaryVolume: run });
      const args = await transformArguments(
        [new VolumePath('out.txt', missing), new VolumePath('in.txt', existing)],
        ctx,
      );
      expect(args.values).toEqual(['/mnt/made/out.txt', '/mnt/existing/in.txt']);
      await writeFile(join(base, 'made', 'for', 'run', 'out.txt'), 'written by the container');
      await args.cleanup();
      expect((await readdir(base)).sort()).toEqual(['existing']);
      expect(await readdir(join(base, 'existing'))).toEqual(['user.txt']);
    } finally {
      await run.remove();
    }
  });
});
