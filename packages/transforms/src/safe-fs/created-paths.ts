import type { Stats } from 'node:fs';
import type { Logger } from '../logger.ts';
import { openParentBeneath } from './beneath.ts';
import { UnsafePathError } from './unsafe-path-error.ts';

/** One path a run created: where, and which inode it was. */
export interface CreatedEntry {
  /** The trusted root it was created beneath. */
  readonly root: string;
  /** Its path relative to `root`. */
  readonly relative: string;
  /** Device and inode at creation: it is removed only while they still match. */
  readonly dev: number;
  /** Inode at creation. */
  readonly ino: number;
  /** Birth time at creation (tells a new file that reused the inode number from ours). */
  readonly birthtimeMs: number;
  /** Whether it was a folder. */
  readonly directory: boolean;
}

/**
 * The record of what one run created inside volumes, so cleanup removes exactly that: each
 * entry only while it is still the inode that was created (a file the container swapped in is
 * left alone), folders with what is inside them (they were the run's), newest first, never
 * following a link. Nothing the run did not create is ever removed.
 *
 * @example
 * ```ts
 * const record = new CreatedPaths();
 * const out = await createFileBeneath(volumeRoot, 'in/data.csv', { record });
 * // …
 * await record.removeAll();
 * ```
 */
export class CreatedPaths {
  readonly #entries: CreatedEntry[] = [];

  /** Records a path just created (`stats` from its descriptor or an lstat). */
  add(root: string, relative: string, stats: Stats): void {
    this.#entries.push({
      root,
      relative,
      dev: stats.dev,
      ino: stats.ino,
      birthtimeMs: stats.birthtimeMs,
      directory: stats.isDirectory(),
    });
  }

  /** What was recorded, oldest first. */
  get entries(): readonly CreatedEntry[] {
    return this.#entries;
  }

  /** Whether `relative` beneath `root` was created by this run. */
  has(root: string, relative: string): boolean {
    return this.#entries.some((e) => e.root === root && e.relative === relative);
  }

  /**
   * Removes every recorded path, newest first, each only while it is the same inode; forgets
   * them. Every entry is tried; the first failure is thrown afterwards.
   * @param logger - told about entries left alone because they were replaced
   */
  async removeAll(logger?: Logger): Promise<void> {
    const entries = this.#entries.splice(0).reverse();
    let failure: unknown;
    for (const entry of entries) {
      try {
        await removeEntry(entry, logger);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

async function removeEntry(entry: CreatedEntry, logger: Logger | undefined): Promise<void> {
  let opened: Awaited<ReturnType<typeof openParentBeneath>>;
  try {
    opened = await openParentBeneath(entry.root, entry.relative);
  } catch (error) {
    // Gone with its folder, or a folder on the way was swapped for a link: nothing of ours is
    // reachable without following it.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    if (error instanceof UnsafePathError) {
      logger?.warn('left a created path alone: the way to it changed', {
        path: entry.relative,
        root: entry.root,
        error: error.message,
      });
      return;
    }
    throw error;
  }
  const { dir, name } = opened;
  try {
    const now = await dir.lstat(name);
    if (!now) return;
    if (now.dev !== entry.dev || now.ino !== entry.ino || now.birthtimeMs !== entry.birthtimeMs) {
      logger?.warn('left a path alone: it is no longer what this run created', {
        path: entry.relative,
        root: entry.root,
      });
      return;
    }
    await dir.remove(name);
  } finally {
    await dir.close();
  }
}
