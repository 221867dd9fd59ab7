import { lstat, open, readFile, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { SafeDir } from './safe-fs/safe-dir.ts';

/** The suffix of the file that marks a directory as a run's temporary volume (beside it, never inside). */
export const TEMPORARY_MARKER_SUFFIX = '.girder_worker_volume';

interface MarkerContent {
  containerPath: string;
  dev: number;
  ino: number;
}

/**
 * Writes the marker beside a temporary directory this process just made: its container path and
 * inode. It sits in the parent directory, which the container does not see, so a container
 * cannot forge one for a directory it did not get from us.
 */
export async function writeTemporaryMarker(dir: string, containerPath: string): Promise<void> {
  const stats = await lstat(dir);
  const content: MarkerContent = { containerPath, dev: stats.dev, ino: stats.ino };
  const handle = await open(`${dir}${TEMPORARY_MARKER_SUFFIX}`, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(content));
  } finally {
    await handle.close();
  }
}

/** Removes the marker of a temporary directory (a missing one is fine). */
export async function removeTemporaryMarker(dir: string): Promise<void> {
  await unlink(`${dir}${TEMPORARY_MARKER_SUFFIX}`).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

async function readMarker(dir: string): Promise<MarkerContent | undefined> {
  const path = `${dir}${TEMPORARY_MARKER_SUFFIX}`;
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile() || (process.getuid && info.uid !== process.getuid())) return undefined;
  try {
    const parsed = JSON.parse(await readFile(path, { encoding: 'utf8', flag: 'r' })) as MarkerContent;
    return typeof parsed?.containerPath === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a run's temporary directory found mounted in an orphaned container, only when the
 * marker its TemporaryVolume wrote proves it: the marker beside `source` is a regular file of
 * this user naming `containerPath`, and `source` is still the directory (same inode, not a link)
 * it was written for. Names are never trusted: a user's folder called `girder_worker_…` mounted
 * under `/mnt/girder_worker/` is left alone. Nothing inside is followed.
 * @param source - the host path of the mount
 * @param containerPath - where it was mounted in the container
 * @returns whether the directory was the run's and was removed
 */
export async function removeOrphanedTemporaryDirectory(
  source: string,
  containerPath: string,
): Promise<boolean> {
  const marker = await readMarker(source);
  if (!marker || marker.containerPath !== containerPath) return false;
  const info = await lstat(source).catch(() => undefined);
  if (!info?.isDirectory() || info.dev !== marker.dev || info.ino !== marker.ino) return false;
  const parent = await SafeDir.openRoot(dirname(source));
  try {
    await parent.remove(basename(source));
  } finally {
    await parent.close();
  }
  await removeTemporaryMarker(source);
  return true;
}
