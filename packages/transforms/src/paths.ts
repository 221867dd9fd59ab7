import { posix } from 'node:path';

/**
 * Why `path` is not a safe relative path inside a volume, or undefined when it is. Safe: not
 * empty, no NUL, not absolute, and still inside the volume once normalised (no leading `..`).
 */
export function relativePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (path.includes('\0')) return 'contains a NUL byte';
  if (posix.isAbsolute(path) || path.startsWith('\\')) return 'is absolute';
  const normal = posix.normalize(path);
  if (normal === '..' || normal.startsWith('../')) return 'leaves its volume';
  return undefined;
}

/** Joins a relative path onto a root with POSIX separators (container paths). */
export function joinInside(root: string, relative: string): string {
  return posix.join(root, posix.normalize(relative));
}
