import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { CreatedPaths } from './created-paths.ts';
import { SafeDir } from './safe-dir.ts';
import { UnsafePathError } from './unsafe-path-error.ts';

/**
 * The components of a relative path inside a root: `''` and `.` components are dropped; an
 * absolute path, a `..` component or a NUL byte is refused (never normalised away: `a/..` is
 * refused, it does not become the root).
 * @throws {@link UnsafePathError} `escape`
 */
export function splitRelative(root: string, relative: string): string[] {
  if (typeof relative !== 'string' || relative.includes('\0')) {
    throw new UnsafePathError(root, String(relative), 'escape', 'not a path');
  }
  if (relative.startsWith('/') || relative.startsWith('\\')) {
    throw new UnsafePathError(root, relative, 'escape', 'it is absolute');
  }
  const parts = relative.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new UnsafePathError(root, relative, 'escape', 'it has a ".." component');
  return parts;
}

/** Options of {@link openDirBeneath}. */
export interface OpenDirBeneathOptions {
  /** Create missing folders (exclusively), each recorded here. */
  create?: { record: CreatedPaths; mode?: number };
}

/**
 * Opens `relative` beneath the trusted `root`, one component at a time, never following a
 * symbolic link (an empty path or `.` opens the root).
 * @throws {@link UnsafePathError} on a link, a non-directory or an escaping path; ENOENT when a
 * folder is missing and `create` is not given
 */
export async function openDirBeneath(
  root: string,
  relative: string,
  options: OpenDirBeneathOptions = {},
): Promise<SafeDir> {
  const parts = splitRelative(root, relative);
  let dir = await SafeDir.openRoot(root);
  try {
    for (const part of parts) {
      const next = await openOrMake(dir, part, options.create);
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (error) {
    await dir.close();
    throw error;
  }
}

async function openOrMake(
  dir: SafeDir,
  name: string,
  create: OpenDirBeneathOptions['create'],
): Promise<SafeDir> {
  if (!create || (await dir.lstat(name))) return dir.openDir(name);
  const made = await dir.makeDir(name, create.mode);
  create.record.add(dir.root, made.relative, await made.stat());
  return made;
}

/**
 * Opens the folder holding `relative` and returns it with the last component's name.
 * @throws {@link UnsafePathError} `root` when `relative` names the root itself
 */
export async function openParentBeneath(
  root: string,
  relative: string,
  options: OpenDirBeneathOptions = {},
): Promise<{ dir: SafeDir; name: string }> {
  const parts = splitRelative(root, relative);
  const name = parts.pop();
  if (name === undefined) throw new UnsafePathError(root, relative, 'root', 'it names the root itself');
  return { dir: await openDirBeneath(root, parts.join('/'), options), name };
}

/**
 * lstat of `relative` beneath `root`, reached without following links; undefined when missing
 * (an empty path or `.` gives the root's own stats).
 * @throws {@link UnsafePathError} when a folder on the way is a link or not a folder
 */
export async function lstatBeneath(root: string, relative: string): Promise<Stats | undefined> {
  const parts = splitRelative(root, relative);
  if (parts.length === 0) {
    const dir = await SafeDir.openRoot(root);
    try {
      return await dir.stat();
    } finally {
      await dir.close();
    }
  }
  let opened: { dir: SafeDir; name: string };
  try {
    opened = await openParentBeneath(root, parts.join('/'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return await opened.dir.lstat(opened.name);
  } finally {
    await opened.dir.close();
  }
}

/**
 * Opens the regular file `relative` beneath `root` for reading, never following a link and never
 * blocking on a FIFO.
 * @returns the handle (close it) and its stats
 * @throws {@link UnsafePathError} (`symlink`, `not-a-file`, `escape`, `root`), ENOENT
 */
export async function openFileBeneath(
  root: string,
  relative: string,
): Promise<{ handle: FileHandle; stats: Stats }> {
  const { dir, name } = await openParentBeneath(root, relative);
  try {
    return await dir.openFile(name);
  } finally {
    await dir.close();
  }
}

/** Options of {@link createFileBeneath}. */
export interface CreateFileBeneathOptions {
  /** Records the new file, and every folder created on the way. */
  record: CreatedPaths;
  /**
   * Permission bits of the file (filtered by the umask).
   * @default 0o644
   */
  mode?: number;
  /**
   * Create missing folders on the way (exclusively, recorded); else they must exist.
   * @default true
   */
  createParents?: boolean;
  /**
   * Permission bits of folders created on the way.
   * @default 0o777
   */
  dirMode?: number;
}

/**
 * Creates a new regular file at `relative` beneath `root` exclusively and opens it for writing:
 * never through a link, never over an existing entry. The file is recorded in `record`.
 * @throws {@link UnsafePathError} `exists` when something is already there, `symlink` when a
 * folder on the way is a link
 */
export async function createFileBeneath(
  root: string,
  relative: string,
  options: CreateFileBeneathOptions,
): Promise<FileHandle> {
  const create = { record: options.record, mode: options.dirMode ?? 0o777 };
  const { dir, name } = await openParentBeneath(
    root,
    relative,
    options.createParents === false ? {} : { create },
  );
  try {
    const handle = await dir.createFile(name, options.mode ?? 0o644);
    options.record.add(root, dir.relativeOf(name), await handle.stat());
    return handle;
  } finally {
    await dir.close();
  }
}

/**
 * Removes `relative` beneath `root` (a folder with everything in it) without following any
 * link, on the way or inside. A missing path is fine.
 * @throws {@link UnsafePathError} `root` for the root itself (`''`, `.`), `escape` for `..`
 */
export async function removeBeneath(root: string, relative: string): Promise<void> {
  let opened: { dir: SafeDir; name: string };
  try {
    opened = await openParentBeneath(root, relative);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await opened.dir.remove(opened.name);
  } finally {
    await opened.dir.close();
  }
}
