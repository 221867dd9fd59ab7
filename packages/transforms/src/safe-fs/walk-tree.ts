import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { openDirBeneath } from './beneath.ts';
import { describeEntry, type SafeDir } from './safe-dir.ts';
import { UnsafePathError } from './unsafe-path-error.ts';

/** A regular file met by {@link visitTreeBeneath}, open for reading. */
export interface VisitedFile {
  /** Its path relative to the root. */
  readonly relative: string;
  /** Its name. */
  readonly name: string;
  /** Open for reading (closed by the walk once the visitor returns). */
  readonly handle: FileHandle;
  /** Its stats, from the descriptor. */
  readonly stats: Stats;
}

/** What {@link visitTreeBeneath} calls; `T` is what a folder hands to its children (e.g. a Girder folder id). */
export interface TreeVisitor<T> {
  /** A folder inside the tree (not the top one); returns what its children get. */
  directory(entry: { relative: string; name: string }, parent: T): Promise<T>;
  /** A regular file. */
  file(entry: VisitedFile, parent: T): Promise<void>;
  /** A FIFO, socket or device: skipped; told here. */
  skipped?(entry: { relative: string; kind: string }): void;
}

/**
 * Walks the folder `relative` beneath `root` depth first, in name order, opening every folder and
 * file without following links. A symbolic link anywhere inside stops the walk with an
 * {@link UnsafePathError} (`symlink`); FIFOs, sockets and devices are skipped.
 * @param top - what the top folder's entries get as `parent`
 * @throws {@link UnsafePathError} for a link, `not-a-directory` when `relative` is no folder
 */
export async function visitTreeBeneath<T>(
  root: string,
  relative: string,
  visitor: TreeVisitor<T>,
  top: T,
): Promise<void> {
  const dir = await openDirBeneath(root, relative);
  try {
    await visitDir(dir, visitor, top);
  } finally {
    await dir.close();
  }
}

async function visitDir<T>(dir: SafeDir, visitor: TreeVisitor<T>, parent: T): Promise<void> {
  const names = (await dir.readdir()).map((entry) => entry.name).sort();
  for (const name of names) {
    const relative = dir.relativeOf(name);
    const found = await dir.lstat(name);
    if (!found) continue;
    if (found.isSymbolicLink()) {
      throw new UnsafePathError(
        dir.root,
        relative,
        'symlink',
        'it is a symbolic link inside the uploaded folder',
      );
    }
    if (found.isDirectory()) {
      const sub = await dir.openDir(name);
      try {
        await visitDir(sub, visitor, await visitor.directory({ relative, name }, parent));
      } finally {
        await sub.close();
      }
    } else if (found.isFile()) {
      const { handle, stats } = await dir.openFile(name);
      try {
        await visitor.file({ relative, name, handle, stats }, parent);
      } finally {
        await handle.close();
      }
    } else {
      visitor.skipped?.({ relative, kind: describeEntry(found) });
    }
  }
}
