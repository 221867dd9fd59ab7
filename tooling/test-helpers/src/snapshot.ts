import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a directory tree held at one moment: per entry (relative path) its type, permission bits,
 * owner, inode, and its content hash (files) or target (links). Compared with
 * {@link assertUnchanged} (or `assertNoLeaks({ unchanged })`) to prove that a run touched
 * nothing outside its own paths: a host folder a hostile container pointed a link at, a user's
 * file beside a volume.
 */
export interface FileSnapshot {
  /** The directory snapshotted. */
  readonly dir: string;
  /** Entry path relative to `dir` (`.` for `dir` itself) → description. */
  readonly entries: ReadonlyMap<string, string>;
}

async function describe(path: string): Promise<string | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return undefined;
  const head = `mode=${(info.mode & 0o7777).toString(8)} uid=${info.uid} gid=${info.gid} ino=${info.ino}`;
  if (info.isSymbolicLink()) return `link ${head} -> ${await readlink(path)}`;
  if (info.isDirectory()) return `dir ${head}`;
  if (info.isFIFO()) return `fifo ${head}`;
  if (info.isFile()) {
    const hash = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    return `file ${head} size=${info.size} sha256=${hash.slice(0, 16)}`;
  }
  return `other ${head}`;
}

async function walk(root: string, relative: string, into: Map<string, string>): Promise<void> {
  const path = relative === '.' ? root : join(root, relative);
  const description = await describe(path);
  if (description === undefined) return;
  into.set(relative, description);
  if (!description.startsWith('dir ')) return;
  for (const name of (await readdir(path).catch(() => [] as string[])).sort()) {
    await walk(root, relative === '.' ? name : `${relative}/${name}`, into);
  }
}

/** Snapshots `dir` and everything below it (links are described, never followed). */
export async function snapshotFiles(dir: string): Promise<FileSnapshot> {
  const entries = new Map<string, string>();
  await walk(dir, '.', entries);
  return { dir, entries };
}

/** The differences between a snapshot and the tree now, one line each (empty: unchanged). */
export async function diffSnapshot(before: FileSnapshot): Promise<string[]> {
  const after = await snapshotFiles(before.dir);
  const problems: string[] = [];
  for (const [path, was] of before.entries) {
    const now = after.entries.get(path);
    if (now === undefined) problems.push(`removed ${join(before.dir, path)} (was ${was})`);
    else if (now !== was) problems.push(`changed ${join(before.dir, path)}: ${was} → ${now}`);
  }
  for (const [path, now] of after.entries) {
    if (!before.entries.has(path)) problems.push(`added ${join(before.dir, path)} (${now})`);
  }
  return problems;
}

/**
 * Fails when anything below the snapshotted directory was added, removed or changed (content,
 * mode, owner, inode, link target) since the snapshot.
 */
export async function assertUnchanged(...snapshots: FileSnapshot[]): Promise<void> {
  const problems = (await Promise.all(snapshots.map(diffSnapshot))).flat();
  if (problems.length > 0) {
    throw new Error(`files outside the run's own paths changed:\n  ${problems.join('\n  ')}`);
  }
}
