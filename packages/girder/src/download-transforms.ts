import { posix } from 'node:path';
import {
  BindMountVolume,
  CreatedPaths,
  type FieldReader,
  joinInside,
  relativePathProblem,
  resolveVolume,
  type SafeDir,
  SpecValidationError,
  splitRelative,
  TemporaryVolume,
  Transform,
  type TransformContext,
} from '@girder-worker/transforms';
import { checkId, readId } from './ids.ts';
import { safeSegment } from './names.ts';
import { girderClientOf } from './services.ts';
import { openVolumeRoot, VolumeWriter } from './volume-writer.ts';

function checkVolume(volume: unknown): BindMountVolume {
  if (!(volume instanceof BindMountVolume)) throw new SpecValidationError('volume', 'a volume', volume);
  return volume;
}

/**
 * Base of the transforms that download into a volume. Everything is written beneath the volume
 * without following links and created exclusively (an existing file is never overwritten, a link
 * left by a container is never followed); what was created is recorded, and exactly that is
 * removed in cleanup, or at once when the download fails.
 */
abstract class DownloadToVolume extends Transform<string> {
  /** The volume the data lands in. */
  readonly volume: BindMountVolume;
  readonly #made = new Map<string, CreatedPaths>();

  constructor(volume: BindMountVolume) {
    super();
    this.volume = checkVolume(volume);
  }

  /** Downloads beneath the open volume root; returns the path relative to the volume root. */
  protected abstract download(ctx: TransformContext, root: SafeDir, writer: VolumeWriter): Promise<string>;

  /** Downloads, then returns the container path of the data. */
  async transform(ctx: TransformContext): Promise<string> {
    await this.volume.transform(ctx);
    const volume = resolveVolume(this.volume, ctx);
    const record = new CreatedPaths();
    this.#made.set(ctx.runId, record);
    const root = await openVolumeRoot(volume.hostPath);
    try {
      const relative = await this.download(ctx, root, new VolumeWriter(ctx, girderClientOf(ctx), record));
      return joinInside(volume.containerPath, relative);
    } catch (error) {
      // A failed download removes what it wrote at once (a bind mount keeps no partial data).
      await record.removeAll(ctx.logger).catch((cleanupError: unknown) => {
        ctx.logger.warn('could not remove a failed download', { error: String(cleanupError) });
      });
      throw error;
    } finally {
      await root.close();
    }
  }

  /** Removes what this run downloaded (only that: never a file that was there before). */
  override async cleanup(ctx: TransformContext): Promise<void> {
    const record = this.#made.get(ctx.runId);
    this.#made.delete(ctx.runId);
    await record?.removeAll(ctx.logger);
  }
}

/** Options of {@link GirderFileIdToVolume}. */
export interface GirderFileIdToVolumeOptions {
  /**
   * Where the file is downloaded.
   * @default TemporaryVolume.default
   */
  volume?: BindMountVolume;
  /**
   * The file's path relative to the volume, instead of `<fileId>/<Girder name>`.
   * @default undefined
   */
  filename?: string;
}

/**
 * Downloads a Girder file into a volume and becomes its container path (girder_worker's
 * `GirderFileIdToVolume`): `<volume>/<fileId>/<name in Girder>`, or `<volume>/<filename>`.
 * A hostile Girder name (`../../evil`) stays inside the volume.
 *
 * @example
 * ```ts
 * dockerRun({ image, containerArgs: ['--in', new GirderFileIdToVolume(fileId)], services });
 * ```
 */
export class GirderFileIdToVolume extends DownloadToVolume {
  /** Serialization kind. */
  static readonly kind: string = 'GirderFileIdToVolume';
  /** The Girder file id. */
  readonly fileId: string;
  /** The chosen relative path, if any. */
  readonly filename: string | undefined;

  /**
   * @param fileId - Girder file id
   * @param options - volume and filename
   * @throws {@link SpecValidationError} on a bad id or an unsafe filename
   */
  constructor(fileId: string, options: GirderFileIdToVolumeOptions = {}) {
    super(options.volume ?? TemporaryVolume.default);
    this.fileId = checkId(fileId, 'fileId');
    if (options.filename !== undefined) {
      const problem =
        typeof options.filename === 'string' ? relativePathProblem(options.filename) : 'is not a string';
      if (problem)
        throw new SpecValidationError(
          'filename',
          `a relative path inside the volume (it ${problem})`,
          options.filename,
        );
    }
    this.filename = options.filename;
  }

  protected async download(ctx: TransformContext, root: SafeDir, writer: VolumeWriter): Promise<string> {
    let parts: string[];
    if (this.filename === undefined) {
      const file = await girderClientOf(ctx).getFile(this.fileId, { signal: ctx.signal });
      parts = [this.fileId, safeSegment(file.name)];
    } else {
      // Lexically normalised first (it stays inside: checked at construction); no link is followed.
      parts = splitRelative(root.root, posix.normalize(this.filename));
    }
    const name = parts.pop() as string;
    let dir = root;
    try {
      for (const part of parts) {
        const next = await writer.ensureDir(dir, part);
        if (dir !== root) await dir.close();
        dir = next;
      }
      await writer.writeFile(dir, name, this.fileId);
    } finally {
      if (dir !== root) await dir.close();
    }
    const relative = [...parts, name].join('/');
    ctx.logger.debug('downloaded a Girder file', { fileId: this.fileId, path: relative });
    return relative;
  }

  /** Fields for serialization (ids only: never a token). */
  toJSON(): Record<string, unknown> {
    return { fileId: this.fileId, volume: this.volume, filename: this.filename };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderFileIdToVolume {
    const filename = fields.optional('filename', (r, n) => r.relativePath(n));
    return new GirderFileIdToVolume(readId(fields, 'fileId'), {
      volume: fields.instance('volume', BindMountVolume, TemporaryVolume.default),
      ...(filename === undefined ? {} : { filename }),
    });
  }
}

/**
 * Downloads a Girder item into a volume and becomes the container path of what it wrote
 * (girder_worker's `GirderItemIdToVolume`): `<volume>/<itemId>/<item name>` — the single file of
 * a one-file item, or a directory holding the files of a multi-file item.
 */
export class GirderItemIdToVolume extends DownloadToVolume {
  /** Serialization kind. */
  static readonly kind: string = 'GirderItemIdToVolume';
  /** The Girder item id. */
  readonly itemId: string;

  /**
   * @param itemId - Girder item id
   * @param options - the volume (default: the run's temporary volume)
   */
  constructor(itemId: string, options: { volume?: BindMountVolume } = {}) {
    super(options.volume ?? TemporaryVolume.default);
    this.itemId = checkId(itemId, 'itemId');
  }

  protected async download(ctx: TransformContext, root: SafeDir, writer: VolumeWriter): Promise<string> {
    const item = await girderClientOf(ctx).getItem(this.itemId, { signal: ctx.signal });
    const dir = await writer.ensureDir(root, this.itemId);
    try {
      const name = await writer.writeItem(dir, safeSegment(item.name), this.itemId);
      return `${this.itemId}/${name}`;
    } finally {
      await dir.close();
    }
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { itemId: this.itemId, volume: this.volume };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderItemIdToVolume {
    return new GirderItemIdToVolume(readId(fields, 'itemId'), {
      volume: fields.instance('volume', BindMountVolume, TemporaryVolume.default),
    });
  }
}

/**
 * Downloads a Girder folder (recursively) into a volume and becomes the container path of the
 * directory (girder_worker's `GirderFolderIdToVolume`): `<volume>/<folderId>/<folder name>`.
 */
export class GirderFolderIdToVolume extends DownloadToVolume {
  /** Serialization kind. */
  static readonly kind: string = 'GirderFolderIdToVolume';
  /** The Girder folder id. */
  readonly folderId: string;
  /** The directory name to use instead of the folder's name in Girder. */
  readonly folderName: string | undefined;

  /**
   * @param folderId - Girder folder id
   * @param options - volume and directory name
   */
  constructor(folderId: string, options: { volume?: BindMountVolume; folderName?: string } = {}) {
    super(options.volume ?? TemporaryVolume.default);
    this.folderId = checkId(folderId, 'folderId');
    if (
      options.folderName !== undefined &&
      (typeof options.folderName !== 'string' || safeSegment(options.folderName) !== options.folderName)
    ) {
      throw new SpecValidationError('folderName', 'a single directory name', options.folderName);
    }
    this.folderName = options.folderName;
  }

  protected async download(ctx: TransformContext, root: SafeDir, writer: VolumeWriter): Promise<string> {
    const client = girderClientOf(ctx);
    const name =
      this.folderName ?? safeSegment((await client.getFolder(this.folderId, { signal: ctx.signal })).name);
    const parent = await writer.ensureDir(root, this.folderId);
    try {
      const dir = await writer.makeDir(parent, name);
      try {
        await writer.writeFolderContents(dir, this.folderId);
      } finally {
        await dir.close();
      }
    } finally {
      await parent.close();
    }
    return `${this.folderId}/${name}`;
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { folderId: this.folderId, volume: this.volume, folderName: this.folderName };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderFolderIdToVolume {
    const folderName = fields.optionalString('folderName');
    return new GirderFolderIdToVolume(readId(fields, 'folderId'), {
      volume: fields.instance('volume', BindMountVolume, TemporaryVolume.default),
      ...(folderName === undefined ? {} : { folderName }),
    });
  }
}
