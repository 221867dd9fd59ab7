import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BindMountVolume,
  type FieldReader,
  joinInside,
  relativePathProblem,
  resolveVolume,
  SpecValidationError,
  TemporaryVolume,
  Transform,
  type TransformContext,
} from '@girder-worker/transforms';
import { checkId, readId } from './ids.ts';
import { safeSegment } from './names.ts';
import { openPermissions } from './permissions.ts';
import { girderClientOf } from './services.ts';

function checkVolume(volume: unknown): BindMountVolume {
  if (!(volume instanceof BindMountVolume)) throw new SpecValidationError('volume', 'a volume', volume);
  return volume;
}

/** Base of the transforms that download into a volume: remembers what it made, removes it in cleanup. */
abstract class DownloadToVolume extends Transform<string> {
  /** The volume the data lands in. */
  readonly volume: BindMountVolume;
  readonly #made = new Map<string, string>();

  constructor(volume: BindMountVolume) {
    super();
    this.volume = checkVolume(volume);
  }

  /** Downloads into the run's volume; returns the path relative to the volume root. */
  protected abstract download(
    ctx: TransformContext,
    root: string,
  ): Promise<{ relative: string; made: string }>;

  /** Downloads, then returns the container path of the data. */
  async transform(ctx: TransformContext): Promise<string> {
    await this.volume.transform(ctx);
    const volume = resolveVolume(this.volume, ctx);
    const { relative, made } = await this.download(ctx, volume.hostPath);
    this.#made.set(ctx.runId, made);
    return joinInside(volume.containerPath, relative);
  }

  /** Removes what this run downloaded. */
  override async cleanup(ctx: TransformContext): Promise<void> {
    const made = this.#made.get(ctx.runId);
    this.#made.delete(ctx.runId);
    if (made) await rm(made, { recursive: true, force: true });
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

  protected async download(ctx: TransformContext, root: string): Promise<{ relative: string; made: string }> {
    const client = girderClientOf(ctx);
    let relative: string;
    let made: string;
    if (this.filename === undefined) {
      const file = await client.getFile(this.fileId, { signal: ctx.signal });
      relative = `${this.fileId}/${safeSegment(file.name)}`;
      made = join(root, this.fileId);
      await mkdir(made, { recursive: true });
    } else {
      relative = this.filename;
      made = join(root, this.filename);
      await mkdir(join(made, '..'), { recursive: true });
    }
    const target = join(root, relative);
    await client.downloadFileToPath(this.fileId, target, { signal: ctx.signal });
    await openPermissions(target, false);
    ctx.logger.debug('downloaded a Girder file', { fileId: this.fileId, path: target });
    return { relative, made };
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

  protected async download(ctx: TransformContext, root: string): Promise<{ relative: string; made: string }> {
    const made = join(root, this.itemId);
    await mkdir(made, { recursive: true });
    await girderClientOf(ctx).downloadItem(this.itemId, made, { signal: ctx.signal });
    await openPermissions(made, true);
    const [written] = await readdir(made);
    return { relative: written === undefined ? this.itemId : `${this.itemId}/${written}`, made };
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

  protected async download(ctx: TransformContext, root: string): Promise<{ relative: string; made: string }> {
    const client = girderClientOf(ctx);
    const name =
      this.folderName ?? safeSegment((await client.getFolder(this.folderId, { signal: ctx.signal })).name);
    const made = join(root, this.folderId);
    const target = join(made, name);
    await mkdir(target, { recursive: true });
    await client.downloadFolderRecursive(this.folderId, target, { signal: ctx.signal });
    await openPermissions(made, true);
    return { relative: `${this.folderId}/${name}`, made };
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
