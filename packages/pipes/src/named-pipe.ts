import { lstat, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import {
  BindMountVolume,
  type FieldReader,
  resolveVolume,
  SpecValidationError,
  TemporaryVolume,
  Transform,
  type TransformContext,
} from '@girder-worker/transforms';
import { type FifoIdentity, sameFifo } from './fifo-fd.ts';
import { type FifoReaderOptions, type FifoReadStream, openFifoReader } from './fifo-reader.ts';
import { type FifoWriterOptions, type FifoWriteStream, openFifoWriter } from './fifo-writer.ts';
import { mkfifo } from './mkfifo.ts';

/** Where a named pipe lives: in a volume, or in explicit host and container directories. */
export interface NamedPipeOptions {
  /**
   * The volume whose directory holds the FIFO (mounted into the container by the runner).
   * @default TemporaryVolume.default
   */
  volume?: BindMountVolume;
  /**
   * Host directory holding the FIFO, instead of `volume` (give `containerPath` too; you mount it).
   */
  hostPath?: string;
  /** Container directory where `hostPath` is mounted (with `hostPath`). */
  containerPath?: string;
  /**
   * Permission bits of the FIFO. Readable and writable by everyone, so that a container running
   * as any user can open it; the volume directory's permissions govern who can reach it.
   * @default 0o666
   */
  mode?: number;
}

const DEFAULT_MODE = 0o666;

function checkName(name: unknown, where: string): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..') {
    throw new TypeError(`${where}: expected a file name, got ${JSON.stringify(name)}`);
  }
  if (name.includes('/') || name.includes('\0')) {
    throw new TypeError(`${where}: expected a file name without '/' or NUL, got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * A named pipe (FIFO) created on the host inside a mounted directory and opened by the
 * container by its container path. As an argument it becomes that container path; its
 * `cleanup` removes the FIFO. Subclasses say which end the container opens.
 */
export abstract class NamedPipeBase extends Transform<string> {
  /** The FIFO's file name inside its directory. */
  readonly name: string;
  /** The volume holding the FIFO, unless explicit directories were given. */
  readonly volume: BindMountVolume | undefined;
  /** Explicit host directory (instead of a volume). */
  readonly hostDir: string | undefined;
  /** Explicit container directory (instead of a volume). */
  readonly containerDir: string | undefined;
  /** Permission bits of the FIFO. */
  readonly mode: number;
  /** FIFOs being created, by run id. */
  readonly #created = new Map<string, Promise<string>>();
  /** The FIFO each run created (device and inode), by run id: only that is ever opened or removed. */
  readonly #identity = new Map<string, FifoIdentity>();

  /**
   * @param name - File name of the FIFO (no `/`).
   * @param options - Volume or explicit directories, and mode; see {@link NamedPipeOptions}.
   * @throws TypeError on a bad name, half-given directories, or both a volume and directories.
   */
  constructor(name: string, options: NamedPipeOptions = {}) {
    super();
    const kind = (new.target as unknown as { kind: string }).kind;
    this.name = checkName(name, `${kind} name`);
    const { hostPath, containerPath, volume, mode = DEFAULT_MODE } = options;
    if ((hostPath === undefined) !== (containerPath === undefined)) {
      throw new TypeError(`${kind} options: give both hostPath and containerPath, or neither`);
    }
    if (hostPath !== undefined && volume !== undefined) {
      throw new TypeError(`${kind} options: give either volume or hostPath/containerPath, not both`);
    }
    if (hostPath !== undefined && (typeof hostPath !== 'string' || !hostPath.startsWith('/'))) {
      throw new TypeError(
        `${kind} options.hostPath: expected an absolute path, got ${JSON.stringify(hostPath)}`,
      );
    }
    if (
      containerPath !== undefined &&
      (typeof containerPath !== 'string' || !containerPath.startsWith('/'))
    ) {
      throw new TypeError(
        `${kind} options.containerPath: expected an absolute path, got ${JSON.stringify(containerPath)}`,
      );
    }
    if (volume !== undefined && !(volume instanceof BindMountVolume)) {
      throw new TypeError(`${kind} options.volume: expected a BindMountVolume (or Volume/TemporaryVolume)`);
    }
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new TypeError(`${kind} options.mode: expected an integer from 0 to 0o777, got ${String(mode)}`);
    }
    this.hostDir = hostPath;
    this.containerDir = containerPath;
    this.volume = hostPath === undefined ? (volume ?? TemporaryVolume.default) : undefined;
    this.mode = mode;
  }

  /**
   * @param ctx - The run's context (resolves `TemporaryVolume.default`).
   * @returns The FIFO's path on the host.
   */
  hostPath(ctx: TransformContext): string {
    if (this.hostDir !== undefined) return join(this.hostDir, this.name);
    return join(resolveVolume(this.volume as BindMountVolume, ctx).hostPath, this.name);
  }

  /**
   * @param ctx - The run's context (resolves `TemporaryVolume.default`).
   * @returns The FIFO's path inside the container.
   */
  containerPath(ctx: TransformContext): string {
    if (this.containerDir !== undefined) return posix.join(this.containerDir, this.name);
    return posix.join(resolveVolume(this.volume as BindMountVolume, ctx).containerPath, this.name);
  }

  /**
   * Creates the FIFO on the host (once per run; after creating its volume if that is a new
   * temporary volume) and returns its container path.
   * @param ctx - The run's context.
   * @returns The container path to pass to the container.
   * @throws MkfifoError when the FIFO cannot be created.
   */
  override transform(ctx: TransformContext): Promise<string> {
    let created = this.#created.get(ctx.runId);
    if (!created) {
      created = (async () => {
        // A volume of its own (e.g. a new TemporaryVolume) must exist before the FIFO does.
        if (this.volume) await this.volume.transform(ctx);
        const path = this.hostPath(ctx);
        // mkfifo never replaces an existing entry (file or link): then nothing is ours to remove.
        await mkfifo(path, { mode: this.mode, signal: ctx.signal });
        const made = await lstat(path);
        this.#identity.set(ctx.runId, { dev: made.dev, ino: made.ino, birthtimeMs: made.birthtimeMs });
        return this.containerPath(ctx);
      })();
      this.#created.set(ctx.runId, created);
      created.catch(() => this.#created.delete(ctx.runId));
    }
    return created;
  }

  /**
   * The FIFO this run created (device and inode), for opening it safely; undefined before
   * {@link NamedPipeBase.transform} made it.
   * @param ctx - The run's context.
   */
  identity(ctx: TransformContext): FifoIdentity | undefined {
    return this.#identity.get(ctx.runId);
  }

  /**
   * Removes the FIFO this run created, only while it is still that FIFO: a file that was there
   * before (mkfifo failed), or a link or file the container put in its place, is left alone.
   * Idempotent; a missing FIFO counts as removed.
   * @param ctx - The run's context.
   */
  override async cleanup(ctx: TransformContext): Promise<void> {
    this.#created.delete(ctx.runId);
    const identity = this.#identity.get(ctx.runId);
    this.#identity.delete(ctx.runId);
    if (!identity) return;
    const path = this.hostPath(ctx);
    const now = await lstat(path).catch(() => undefined);
    if (!now) return;
    if (!now.isFIFO() || !sameFifo(now, identity)) {
      ctx.logger.warn('left a path alone: it is no longer the named pipe this run created', { path });
      return;
    }
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /** @returns The serialized fields: name and volume, or the explicit directories; mode if not default. */
  override toJSON(): Record<string, unknown> {
    const fields: Record<string, unknown> = { name: this.name };
    if (this.hostDir !== undefined) {
      fields.hostPath = this.hostDir;
      fields.containerPath = this.containerDir;
    } else {
      fields.volume = this.volume;
    }
    if (this.mode !== DEFAULT_MODE) fields.mode = this.mode;
    return fields;
  }

  /** @returns e.g. `NamedInputPipe(input.fifo)`. */
  override toString(): string {
    return `${(this.constructor as unknown as { kind: string }).kind}(${this.name})`;
  }
}

/** Reads the fields both pipe kinds share. */
function readPipeFields(fields: FieldReader): [string, NamedPipeOptions] {
  const name = fields.string('name');
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new SpecValidationError(`${fields.path}.name`, "a file name without '/' or NUL", name);
  }
  const hostPath = fields.optional('hostPath', (reader, key) => reader.hostPath(key));
  const containerPath = fields.optional('containerPath', (reader, key) => reader.absolutePath(key));
  const mode = fields.optional('mode', (reader, key) => reader.integer(key, 0, 0o777));
  const options: NamedPipeOptions = {};
  if (hostPath !== undefined || containerPath !== undefined) {
    if (hostPath !== undefined) options.hostPath = hostPath;
    if (containerPath !== undefined) options.containerPath = containerPath;
  } else {
    options.volume = fields.instance('volume', BindMountVolume, TemporaryVolume.default);
  }
  if (mode !== undefined) options.mode = mode;
  return [name, options];
}

/**
 * A named pipe the container opens for reading: data streams INTO the container. Connect a
 * source to it with {@link Connect}; the host side writes through {@link openFifoWriter}.
 *
 * @example
 * ```ts
 * const pipe = new NamedInputPipe('input.bin');
 * containerArgs: ['--input', new Connect(new GirderFileIdToStream(fileId), pipe)]
 * ```
 */
export class NamedInputPipe extends NamedPipeBase {
  /** Serialization kind. */
  static readonly kind: string = 'NamedInputPipe';

  /**
   * Revives a serialized pipe.
   * @param fields - The serialized fields.
   * @returns The pipe.
   */
  static fromJSON(fields: FieldReader): NamedInputPipe {
    const [name, options] = readPipeFields(fields);
    return new NamedInputPipe(name, options);
  }

  /**
   * Opens the host's write end (non-blocking; waits for the container to open its end).
   * @param ctx - The run's context.
   * @param options - Signal and `until` (the container's exit).
   * @returns The write stream.
   */
  openWriter(ctx: TransformContext, options: FifoWriterOptions = {}): FifoWriteStream {
    const expect = this.identity(ctx);
    return openFifoWriter(this.hostPath(ctx), {
      signal: ctx.signal,
      ...(expect ? { expect } : {}),
      ...options,
    });
  }
}

/**
 * A named pipe the container opens for writing: data streams OUT of the container. Connect it
 * to a sink with {@link Connect}; the host side reads through {@link openFifoReader}.
 *
 * @example
 * ```ts
 * const pipe = new NamedOutputPipe('result.bin');
 * containerArgs: ['--output', new Connect(pipe, new ChunkedTransferEncodingStream(url, headers))]
 * ```
 */
export class NamedOutputPipe extends NamedPipeBase {
  /** Serialization kind. */
  static readonly kind: string = 'NamedOutputPipe';

  /**
   * Revives a serialized pipe.
   * @param fields - The serialized fields.
   * @returns The pipe.
   */
  static fromJSON(fields: FieldReader): NamedOutputPipe {
    const [name, options] = readPipeFields(fields);
    return new NamedOutputPipe(name, options);
  }

  /**
   * Opens the host's read end (non-blocking; waits for the container to open its end).
   * @param ctx - The run's context.
   * @param options - Signal, `until` (the container's exit), missing-writer policy.
   * @returns The read stream.
   */
  openReader(ctx: TransformContext, options: FifoReaderOptions = {}): FifoReadStream {
    const expect = this.identity(ctx);
    return openFifoReader(this.hostPath(ctx), {
      signal: ctx.signal,
      ...(expect ? { expect } : {}),
      ...options,
    });
  }
}
