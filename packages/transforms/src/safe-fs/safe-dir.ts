import { constants, type Dirent, existsSync, type Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UnsafePathError } from './unsafe-path-error.ts';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;

/**
 * Where the kernel exposes this process's descriptors. Naming an entry as `<fd dir>/<fd>/<name>`
 * resolves `name` inside the directory the descriptor holds (like `openat`), whatever happens to
 * the directory's path meanwhile. Without it (not Linux), entries are named by path, and every
 * component is still checked with `O_NOFOLLOW` as it is opened.
 */
const FD_DIR: string | undefined = existsSync('/proc/self/fd') ? '/proc/self/fd' : undefined;

/** An fs error re-thrown with the logical path instead of the `/proc/self/fd` one. */
function withPath(error: unknown, operation: string, path: string): Error {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return error as Error;
  const out = new Error(`${e.code}: cannot ${operation} ${path}`, { cause: error }) as NodeJS.ErrnoException;
  out.code = e.code;
  if (e.errno !== undefined) out.errno = e.errno;
  if (e.syscall !== undefined) out.syscall = e.syscall;
  out.path = path;
  return out;
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException)?.code ?? '');
}

/** A kind word for an lstat result, for messages. */
export function describeEntry(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFile()) return 'a regular file';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'a device';
}

/**
 * An open directory inside a trusted root, reached without following any symbolic link. Every
 * entry is named relative to the open descriptor (never re-resolved from the root), opened with
 * `O_NOFOLLOW`, and created exclusively, so a container that swaps a path for a link between two
 * of our calls cannot redirect us outside the volume. Close it (or `await using`) when done.
 *
 * @example
 * ```ts
 * await using root = await SafeDir.openRoot('/srv/volume');
 * const { handle } = await root.openFile('result.txt'); // refuses a symlink, a FIFO, a folder
 * ```
 */
export class SafeDir {
  /** The trusted root this directory was reached from. */
  readonly root: string;
  /** Its path relative to `root` (`''` for the root). */
  readonly relative: string;
  readonly #handle: FileHandle;
  #closed = false;

  private constructor(root: string, relative: string, handle: FileHandle) {
    this.root = root;
    this.relative = relative;
    this.#handle = handle;
  }

  /**
   * Opens a trusted directory (a volume's host path): links in the root path itself are followed,
   * as Docker follows them when it mounts it; nothing beneath it ever is.
   * @param root - an absolute directory path
   * @throws the fs error (ENOENT, ENOTDIR…) when it cannot be opened as a directory
   */
  static async openRoot(root: string): Promise<SafeDir> {
    const handle = await open(root, O_RDONLY | O_DIRECTORY);
    return new SafeDir(root, '', handle);
  }

  /** The directory's host path (for messages and logs; never used to reach entries). */
  get path(): string {
    return this.relative ? join(this.root, this.relative) : this.root;
  }

  /** The path of `name` relative to the root. */
  relativeOf(name: string): string {
    return this.relative ? `${this.relative}/${name}` : name;
  }

  /** The kernel path naming `name` inside this open directory. */
  #entry(name: string): string {
    if (this.#closed) throw new Error(`SafeDir ${this.path} is closed`);
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new UnsafePathError(this.root, this.relativeOf(name), 'escape', 'not a single file name');
    }
    return FD_DIR ? `${FD_DIR}/${this.#handle.fd}/${name}` : join(this.path, name);
  }

  /** lstat of an entry (links are not followed); undefined when it does not exist. */
  async lstat(name: string): Promise<Stats | undefined> {
    try {
      return await lstat(this.#entry(name));
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      throw withPath(error, 'inspect', join(this.path, name));
    }
  }

  /** This directory's own stats. */
  stat(): Promise<Stats> {
    return this.#handle.stat();
  }

  /** Sets this directory's permission bits through its descriptor (never through a link). */
  chmod(mode: number): Promise<void> {
    return this.#handle.chmod(mode);
  }

  /** The entries of this directory. */
  async readdir(): Promise<Dirent[]> {
    const path = FD_DIR ? `${FD_DIR}/${this.#handle.fd}` : this.path;
    try {
      return await readdir(path, { withFileTypes: true });
    } catch (error) {
      throw withPath(error, 'list', this.path);
    }
  }

  /** Why `name` cannot be opened as `expected`: an UnsafePathError when it is the wrong type. */
  async #refusal(name: string, expected: 'file' | 'directory', error: unknown): Promise<Error> {
    const found = await this.lstat(name).catch(() => undefined);
    const relative = this.relativeOf(name);
    if (found?.isSymbolicLink()) {
      return new UnsafePathError(this.root, relative, 'symlink', 'it is a symbolic link', { cause: error });
    }
    if (found && expected === 'directory' && !found.isDirectory()) {
      return new UnsafePathError(this.root, relative, 'not-a-directory', `it is ${describeEntry(found)}`, {
        cause: error,
      });
    }
    if (found && expected === 'file' && !found.isFile()) {
      return new UnsafePathError(this.root, relative, 'not-a-file', `it is ${describeEntry(found)}`, {
        cause: error,
      });
    }
    return withPath(error, `open ${expected === 'file' ? 'the file' : 'the folder'}`, join(this.path, name));
  }

  /**
   * Opens a sub-directory without following a link.
   * @throws {@link UnsafePathError} (`symlink`, `not-a-directory`) or ENOENT
   */
  async openDir(name: string): Promise<SafeDir> {
    let handle: FileHandle;
    try {
      handle = await open(this.#entry(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (error) {
      if (isCode(error, 'ENOENT')) throw withPath(error, 'open the folder', join(this.path, name));
      throw await this.#refusal(name, 'directory', error);
    }
    return new SafeDir(this.root, this.relativeOf(name), handle);
  }

  /**
   * Creates a sub-directory exclusively (never over an existing path) and opens it.
   * @param mode - permission bits (filtered by the umask; chmod the result for exact bits)
   * @throws {@link UnsafePathError} `exists` when anything is already there
   */
  async makeDir(name: string, mode = 0o777): Promise<SafeDir> {
    try {
      await mkdir(this.#entry(name), { mode });
    } catch (error) {
      if (isCode(error, 'EEXIST')) {
        const found = await this.lstat(name);
        throw new UnsafePathError(
          this.root,
          this.relativeOf(name),
          'exists',
          `${found ? describeEntry(found) : 'an entry'} is already there`,
          { cause: error },
        );
      }
      throw withPath(error, 'create the folder', join(this.path, name));
    }
    return this.openDir(name);
  }

  /**
   * Opens a regular file for reading without following a link. The open never blocks (a FIFO
   * put in its place is refused, not waited on).
   * @returns the handle and its stats (from the descriptor: what will be read)
   * @throws {@link UnsafePathError} (`symlink`, `not-a-file`) or ENOENT
   */
  async openFile(name: string): Promise<{ handle: FileHandle; stats: Stats }> {
    let handle: FileHandle;
    try {
      handle = await open(this.#entry(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      if (isCode(error, 'ENOENT')) throw withPath(error, 'open the file', join(this.path, name));
      throw await this.#refusal(name, 'file', error);
    }
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      throw new UnsafePathError(
        this.root,
        this.relativeOf(name),
        'not-a-file',
        `it is ${describeEntry(stats)}`,
      );
    }
    return { handle, stats };
  }

  /**
   * Creates a new regular file exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`) and opens it for
   * writing: an existing file, link or FIFO is never opened.
   * @param mode - permission bits (filtered by the umask)
   * @throws {@link UnsafePathError} `exists` when anything is already there
   */
  async createFile(name: string, mode = 0o644): Promise<FileHandle> {
    try {
      return await open(this.#entry(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    } catch (error) {
      if (isCode(error, 'EEXIST')) {
        const found = await this.lstat(name);
        throw new UnsafePathError(
          this.root,
          this.relativeOf(name),
          'exists',
          `${found ? describeEntry(found) : 'an entry'} is already there`,
          { cause: error },
        );
      }
      throw withPath(error, 'create the file', join(this.path, name));
    }
  }

  /**
   * Removes an entry without following links: a link, file or FIFO is unlinked, a directory is
   * emptied the same way (each level opened without following) and removed. A missing entry is
   * fine.
   */
  async remove(name: string): Promise<void> {
    const entry = this.#entry(name);
    const found = await this.lstat(name);
    if (!found) return;
    if (found.isDirectory()) {
      let sub: SafeDir | undefined;
      try {
        sub = await this.openDir(name);
      } catch (error) {
        // Swapped for a link (or a file) since the lstat: unlinking it removes only the entry.
        if (!isCode(error, 'ENOENT')) await this.#unlink(entry, name);
        return;
      }
      try {
        for (const child of await sub.readdir()) await sub.remove(child.name);
      } finally {
        await sub.close();
      }
      try {
        await rmdir(entry);
      } catch (error) {
        if (!isCode(error, 'ENOENT')) throw withPath(error, 'remove the folder', join(this.path, name));
      }
      return;
    }
    await this.#unlink(entry, name);
  }

  async #unlink(entry: string, name: string): Promise<void> {
    try {
      await unlink(entry);
    } catch (error) {
      if (isCode(error, 'EISDIR')) {
        await this.remove(name);
        return;
      }
      if (!isCode(error, 'ENOENT')) throw withPath(error, 'remove', join(this.path, name));
    }
  }

  /** Removes an empty sub-directory; false when it is not empty (or gone). */
  async removeIfEmpty(name: string): Promise<boolean> {
    try {
      await rmdir(this.#entry(name));
      return true;
    } catch (error) {
      if (isCode(error, 'ENOENT', 'ENOTEMPTY', 'EEXIST')) return false;
      throw withPath(error, 'remove the folder', join(this.path, name));
    }
  }

  /** Closes the descriptor (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }

  /** Same as {@link SafeDir.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
