import type { GirderClient } from '@girder-worker/girder-client';
import { type CreatedPaths, SafeDir, type TransformContext } from '@girder-worker/transforms';
import { safeSegment } from './names.ts';

/** Permission bits of downloaded data, as girder_worker's `setPermissions`: any container user may read it. */
const FILE_MODE = 0o644;
const DIR_MODE = 0o777;

/**
 * Gives each Girder name in one directory a distinct, safe file name: separators and NUL become
 * `_` (the same rule at every level), and a name already given in this directory gets ` (2)`,
 * ` (3)`… before its extension, so `a/b`, `a\b` and `a_b` become `a_b`, `a_b (2)`, `a_b (3)`
 * instead of overwriting each other (and a folder `y/z` beside an item `y_z` cannot clash).
 */
class NameAllocator {
  readonly #used = new Set<string>();

  /** A distinct safe name for `girderName` in this directory. */
  allocate(girderName: string): string {
    const safe = safeSegment(girderName);
    let candidate = safe;
    const dot = safe.lastIndexOf('.');
    const [stem, extension] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, ''];
    for (let n = 2; this.#used.has(candidate); n++) candidate = `${stem} (${n})${extension}`;
    this.#used.add(candidate);
    return candidate;
  }
}

/**
 * Writes into a volume for one download: every folder and file is created exclusively beneath
 * the open directories (never through a link, never over an existing entry), recorded for
 * cleanup, and opened to any container user through its own descriptor (never a chmod through a
 * path).
 */
export class VolumeWriter {
  readonly #ctx: TransformContext;
  readonly #client: GirderClient;
  readonly #record: CreatedPaths;

  /**
   * @param ctx - the run's context (signal, logger)
   * @param client - the Girder client
   * @param record - where created paths are recorded
   */
  constructor(ctx: TransformContext, client: GirderClient, record: CreatedPaths) {
    this.#ctx = ctx;
    this.#client = client;
    this.#record = record;
  }

  /**
   * Opens the existing real folder `name` in `dir`, or creates it (recorded). A link there is refused.
   * @throws UnsafePathError for a link or a non-folder
   */
  async ensureDir(dir: SafeDir, name: string): Promise<SafeDir> {
    if (await dir.lstat(name)) return dir.openDir(name);
    return this.makeDir(dir, name);
  }

  /**
   * Creates the folder `name` in `dir` exclusively (recorded, opened to any user).
   * @throws UnsafePathError `exists` when anything is there
   */
  async makeDir(dir: SafeDir, name: string): Promise<SafeDir> {
    const made = await dir.makeDir(name, DIR_MODE);
    this.#record.add(made.root, made.relative, await made.stat());
    await made.chmod(DIR_MODE);
    return made;
  }

  /**
   * Creates the file `name` in `dir` exclusively and streams a Girder file into it (each lent
   * chunk written before the next is read).
   * @throws UnsafePathError `exists` when anything is there (a user's file is never overwritten)
   */
  async writeFile(dir: SafeDir, name: string, fileId: string): Promise<void> {
    const handle = await dir.createFile(name, FILE_MODE);
    try {
      this.#record.add(dir.root, dir.relativeOf(name), await handle.stat());
      for await (const chunk of this.#client.downloadFileChunks(fileId, { signal: this.#ctx.signal })) {
        for (let at = 0; at < chunk.byteLength; ) {
          at += (await handle.write(chunk, at)).bytesWritten;
        }
      }
      await handle.chmod(FILE_MODE);
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes an item into `dir` as girder_client does: a one-file item as a file named after the
   * item, else a folder of its files (distinct names).
   * @returns the name written in `dir`
   */
  async writeItem(dir: SafeDir, name: string, itemId: string): Promise<string> {
    const signal = this.#ctx.signal;
    const files = [];
    for await (const file of this.#client.listFiles(itemId, { signal })) files.push(file);
    const [only] = files;
    if (files.length === 1 && only) {
      await this.writeFile(dir, name, only._id);
      return name;
    }
    const sub = await this.makeDir(dir, name);
    try {
      const names = new NameAllocator();
      for (const file of files) await this.writeFile(sub, names.allocate(file.name), file._id);
    } finally {
      await sub.close();
    }
    return name;
  }

  /** Writes a folder's sub-folders (first) and items into `dir`, recursively, with distinct names. */
  async writeFolderContents(dir: SafeDir, folderId: string): Promise<void> {
    const signal = this.#ctx.signal;
    const names = new NameAllocator();
    for await (const folder of this.#client.listFolders(
      { parentId: folderId, parentType: 'folder' },
      { signal },
    )) {
      const sub = await this.makeDir(dir, names.allocate(folder.name));
      try {
        await this.writeFolderContents(sub, folder._id);
      } finally {
        await sub.close();
      }
    }
    for await (const item of this.#client.listItems({ folderId }, { signal })) {
      await this.writeItem(dir, names.allocate(item.name), item._id);
    }
  }
}

/** Opens a volume's host directory (trusted) for a download. */
export function openVolumeRoot(hostPath: string): Promise<SafeDir> {
  return SafeDir.openRoot(hostPath);
}
