import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { TransformContext } from './context.ts';
import { SpecValidationError } from './errors.ts';
import type { FieldReader } from './field-reader.ts';
import { CreatedPaths } from './safe-fs/created-paths.ts';
import { SafeDir } from './safe-fs/safe-dir.ts';
import { removeTemporaryMarker, writeTemporaryMarker } from './temporary-marker.ts';
import { Transform } from './transform.ts';

/** Docker's bind mount modes. */
export type VolumeMode = 'rw' | 'ro';

/** The modes a volume accepts, for validation. */
const VOLUME_MODES: readonly VolumeMode[] = ['rw', 'ro'];

/** Where temporary volumes are mounted inside the container (as in girder_worker). */
const TEMP_VOLUME_MOUNT_PREFIX = '/mnt/girder_worker';

function checkMode(mode: unknown, path: string): VolumeMode {
  if (mode !== 'rw' && mode !== 'ro') throw new SpecValidationError(path, '"rw" | "ro"', mode);
  return mode;
}

/**
 * Creates `dir` with its missing parents; returns the top-most folder it created (undefined when
 * `dir` existed), so exactly what the run made can be removed afterwards.
 */
async function makeMissingDir(dir: string): Promise<string | undefined> {
  return (await mkdir(dir, { recursive: true })) ?? undefined;
}

/** Removes the now empty folders from `dir` up to `top` (both created by us); stops at one in use. */
async function removeEmptyUpTo(dir: string, top: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const removed = await rmdir(current).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTEMPTY' || error.code === 'EEXIST') return false;
        throw error;
      },
    );
    if (!removed || current === top || current === dirname(current)) return;
  }
}

function checkAbsolute(value: unknown, path: string): string {
  if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0')) {
    throw new SpecValidationError(path, 'an absolute path', value);
  }
  return value;
}

/**
 * A host directory bind-mounted into the container. As an argument it becomes its container path.
 *
 * @example
 * ```ts
 * const data = new BindMountVolume('/srv/data', '/mnt/data', 'ro');
 * dockerRun({ image, volumes: [data], containerArgs: ['--input', data] });
 * ```
 */
export class BindMountVolume extends Transform<string> {
  /** Serialization kind. */
  static readonly kind: string = 'BindMountVolume';
  #hostPath: string;
  #containerPath: string;
  /** `rw` or `ro`. */
  readonly mode: VolumeMode;

  /**
   * @param hostPath - absolute directory on the host
   * @param containerPath - absolute path inside the container
   * @param mode - mount mode
   * @throws {@link SpecValidationError} on a relative path or an unknown mode
   */
  constructor(hostPath: string, containerPath: string, mode: VolumeMode = 'rw') {
    super();
    // A TemporaryVolume starts without paths; it gets them when its directory is made.
    const deferred = new.target !== BindMountVolume && hostPath === '' && containerPath === '';
    this.#hostPath = deferred ? '' : checkAbsolute(hostPath, 'hostPath');
    this.#containerPath = deferred ? '' : checkAbsolute(containerPath, 'containerPath');
    this.mode = checkMode(mode, 'mode');
  }

  /** The directory on the host. */
  get hostPath(): string {
    return this.#hostPath;
  }

  /** Where it is mounted in the container. */
  get containerPath(): string {
    return this.#containerPath;
  }

  /** @internal used by TemporaryVolume once its directory exists */
  protected setPaths(hostPath: string, containerPath: string): void {
    this.#hostPath = hostPath;
    this.#containerPath = containerPath;
  }

  /** Folders created for a run because the host path was missing, by run id. */
  readonly #made = new Map<string, CreatedPaths>();

  /**
   * The container path. A missing host directory is created for the run (instead of by Docker,
   * as root) and removed by {@link BindMountVolume.cleanup}; an existing one is used as it is.
   */
  async transform(ctx: TransformContext): Promise<string> {
    const volume = resolveVolume(this, ctx);
    if (volume === this && !this.#made.has(ctx.runId)) {
      const record = new CreatedPaths();
      this.#made.set(ctx.runId, record);
      const top = await makeMissingDir(this.hostPath);
      if (top !== undefined) {
        record.add(dirname(top), basename(top), await lstat(top));
        ctx.logger.debug('created the missing host folder of a volume for this run', {
          hostPath: this.hostPath,
        });
      }
    }
    return volume.containerPath;
  }

  /** Removes the host folders created for this run (with what the run wrote in them); an existing host folder is kept. */
  override async cleanup(ctx: TransformContext): Promise<void> {
    const record = this.#made.get(ctx.runId);
    this.#made.delete(ctx.runId);
    await record?.removeAll(ctx.logger);
  }

  /** Docker's `HostConfig.Binds` entry: `host:container:mode`. */
  bind(): string {
    return `${this.hostPath}:${this.containerPath}:${this.mode}`;
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { hostPath: this.hostPath, containerPath: this.containerPath, mode: this.mode };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): BindMountVolume {
    return new BindMountVolume(
      fields.hostPath('hostPath'),
      fields.absolutePath('containerPath'),
      fields.oneOf('mode', VOLUME_MODES, 'rw'),
    );
  }
}

/** Options of {@link TemporaryVolume}. */
export interface TemporaryVolumeOptions {
  /**
   * The host directory in which the temporary directory is made (created if missing).
   * @default os.tmpdir()
   */
  hostDir?: string;
  /**
   * Mount mode.
   * @default 'rw'
   */
  mode?: VolumeMode;
  /**
   * Permission bits set explicitly (with chmod, not through the umask) on the new directory,
   * permissive as in girder_worker because the container may run as another user.
   * @default 0o777
   */
  dirMode?: number;
}

/**
 * A fresh host directory, mounted at `/mnt/girder_worker/<random hex>`, removed after the run.
 * `TemporaryVolume.default` is a placeholder for each run's own default temporary volume.
 */
export class TemporaryVolume extends BindMountVolume {
  /** Serialization kind. */
  static override readonly kind: string = 'TemporaryVolume';
  static #default: TemporaryVolume | undefined;
  /** Where the directory is made (undefined: os.tmpdir() at creation). */
  readonly hostDir: string | undefined;
  /** Permission bits of the directory. */
  readonly dirMode: number;
  /** True only for the `TemporaryVolume.default` placeholder. */
  readonly isDefault: boolean;
  #created: Promise<void> | undefined;
  #removed = false;
  /** The top-most folder of `hostDir` that create() had to make, if any. */
  #madeHostDir: string | undefined;

  /** @param options - where and how to make the directory */
  constructor(options: TemporaryVolumeOptions = {}) {
    super('', '', options.mode ?? 'rw');
    if (options.hostDir !== undefined) checkAbsolute(options.hostDir, 'hostDir');
    if (options.dirMode !== undefined && !(Number.isInteger(options.dirMode) && options.dirMode >= 0)) {
      throw new SpecValidationError('dirMode', 'a permission number such as 0o777', options.dirMode);
    }
    this.hostDir = options.hostDir;
    this.dirMode = options.dirMode ?? 0o777;
    this.isDefault = false;
  }

  /**
   * The placeholder for the run's default temporary volume: every run resolves it to its own
   * volume (`ctx.temporaryVolume`), so concurrent runs never share one.
   */
  static get default(): TemporaryVolume {
    if (!TemporaryVolume.#default) {
      const placeholder = new TemporaryVolume();
      (placeholder as { isDefault: boolean }).isDefault = true;
      Object.freeze(placeholder);
      TemporaryVolume.#default = placeholder;
    }
    return TemporaryVolume.#default;
  }

  /** Whether the directory exists (created and not yet removed). */
  get created(): boolean {
    return this.#created !== undefined && !this.#removed && super.hostPath !== '';
  }

  /** The host directory. @throws Error before {@link TemporaryVolume.create} or on the placeholder */
  override get hostPath(): string {
    if (this.isDefault)
      throw new Error('TemporaryVolume.default has no path of its own: resolve it in a run');
    if (super.hostPath === '') throw new Error('this TemporaryVolume has not been created yet');
    return super.hostPath;
  }

  /** The container path. @throws Error before {@link TemporaryVolume.create} or on the placeholder */
  override get containerPath(): string {
    if (this.isDefault)
      throw new Error('TemporaryVolume.default has no path of its own: resolve it in a run');
    if (super.containerPath === '') throw new Error('this TemporaryVolume has not been created yet');
    return super.containerPath;
  }

  /** Makes the directory (once; later calls wait for the first). */
  create(): Promise<void> {
    if (this.isDefault) return Promise.reject(new Error('TemporaryVolume.default cannot be created itself'));
    this.#created ??= (async () => {
      const root = this.hostDir ?? tmpdir();
      this.#madeHostDir = await makeMissingDir(root);
      const dir = await mkdtemp(join(root, 'girder_worker_'));
      await chmod(dir, this.dirMode);
      const containerPath = `${TEMP_VOLUME_MOUNT_PREFIX}/${randomBytes(16).toString('hex')}`;
      // The marker beside the directory lets a reaper prove it is ours (never a name guess).
      await writeTemporaryMarker(dir, containerPath);
      this.setPaths(dir, containerPath);
    })();
    return this.#created;
  }

  /**
   * Removes the directory and everything in it (never following a link inside), its marker, and
   * the folders of `hostDir` that {@link TemporaryVolume.create} had to make, once empty;
   * idempotent.
   */
  async remove(): Promise<void> {
    if (this.isDefault || this.#created === undefined || this.#removed) return;
    await this.#created.catch(() => {});
    const dir = super.hostPath;
    this.#removed = true;
    if (dir !== '') {
      const parent = await SafeDir.openRoot(dirname(dir)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined; // hostDir itself is gone: nothing left
        throw error;
      });
      try {
        await parent?.remove(basename(dir));
      } finally {
        await parent?.close();
      }
      await removeTemporaryMarker(dir);
    }
    if (this.#madeHostDir !== undefined) await removeEmptyUpTo(this.hostDir ?? tmpdir(), this.#madeHostDir);
  }

  /** Creates the directory if needed; returns the container path. */
  override async transform(ctx: TransformContext): Promise<string> {
    const volume = resolveVolume(this, ctx) as TemporaryVolume;
    if (volume !== ctx.temporaryVolume) await volume.create();
    return volume.containerPath;
  }

  /** Removes the directory (the run's default volume is removed by the run). */
  override async cleanup(ctx: TransformContext): Promise<void> {
    if (this.isDefault || this === ctx.temporaryVolume) return;
    await this.remove();
  }

  /** Docker bind for the created directory. */
  override bind(): string {
    return `${this.hostPath}:${this.containerPath}:${this.mode}`;
  }

  /** Fields for serialization (a temporary volume is re-created by each run). */
  override toJSON(): Record<string, unknown> {
    if (this.isDefault) return { default: true };
    return {
      ...(this.hostDir !== undefined ? { hostDir: this.hostDir } : {}),
      mode: this.mode,
      dirMode: this.dirMode,
    };
  }

  /** Revives from validated fields; `{"default": true}` is the placeholder. */
  static override fromJSON(fields: FieldReader): TemporaryVolume {
    if (fields.boolean('default', false)) return TemporaryVolume.default;
    const hostDir = fields.optional('hostDir', (r, n) => r.hostPath(n));
    const dirMode = fields.optional('dirMode', (r, n) => r.integer(n, 0, 0o7777));
    return new TemporaryVolume({
      ...(hostDir !== undefined ? { hostDir } : {}),
      mode: fields.oneOf('mode', VOLUME_MODES, 'rw'),
      ...(dirMode !== undefined ? { dirMode } : {}),
    });
  }
}

/**
 * The concrete volume `volume` stands for in this run: the run's own temporary volume for
 * `TemporaryVolume.default`, else the volume itself.
 */
export function resolveVolume(volume: BindMountVolume, ctx: TransformContext): BindMountVolume {
  return volume instanceof TemporaryVolume && volume.isDefault ? ctx.temporaryVolume : volume;
}
