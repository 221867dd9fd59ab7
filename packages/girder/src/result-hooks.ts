import {
  type FieldReader,
  ResultTransform,
  type RunResultInfo,
  removeBeneath,
  SpecValidationError,
  type TransformContext,
  VolumePath,
} from '@girder-worker/transforms';
import { checkId, readId } from './ids.ts';
import { attachJobArtifacts, resultEntry, uploadFileBeneath, uploadFolderBeneath } from './safe-upload.ts';
import { girderClientOf, girderJobIdOf } from './services.ts';

function checkVolumePath(value: unknown): VolumePath {
  if (!(value instanceof VolumePath)) throw new SpecValidationError('volumePath', 'a VolumePath', value);
  return value;
}

/** `deleteFile` may never name the volume root (`.`, `a/..`): that would delete the mounted host folder. */
function checkDeleteFile(volumePath: VolumePath, deleteFile: unknown): boolean {
  if (deleteFile !== undefined && typeof deleteFile !== 'boolean') {
    throw new SpecValidationError('deleteFile', 'true or false', deleteFile);
  }
  if (deleteFile === true && volumePath.isVolumeRoot) {
    throw new SpecValidationError(
      'deleteFile',
      `false when volumePath names the volume root itself (${JSON.stringify(volumePath.filename)}): a volume root is never deleted`,
      deleteFile,
    );
  }
  return deleteFile ?? false;
}

/** Options of the upload hooks. */
export interface UploadHookOptions {
  /**
   * Remove the uploaded file or directory from the volume afterwards.
   * @default false
   */
  deleteFile?: boolean;
}

/**
 * Result hook: uploads the file a container wrote at a {@link VolumePath} to a Girder item
 * (girder_worker's `GirderUploadVolumePathToItem`). Returns the new file's id.
 *
 * @example
 * ```ts
 * const out = new VolumePath('result.csv');
 * dockerRun({ image, containerArgs: ['--out', out], resultHooks: [new GirderUploadVolumePathToItem(out, itemId)], services });
 * ```
 */
export class GirderUploadVolumePathToItem extends ResultTransform<string> {
  /** Serialization kind. */
  static readonly kind: string = 'GirderUploadVolumePathToItem';
  /** The file to upload. */
  readonly volumePath: VolumePath;
  /** The target item. */
  readonly itemId: string;
  /** Whether the file is removed after the upload. */
  readonly deleteFile: boolean;

  /**
   * @param volumePath - the file, relative to its volume
   * @param itemId - the Girder item that receives it
   * @param options - `deleteFile`
   */
  constructor(volumePath: VolumePath, itemId: string, options: UploadHookOptions = {}) {
    super();
    this.volumePath = checkVolumePath(volumePath);
    this.itemId = checkId(itemId, 'itemId');
    this.deleteFile = checkDeleteFile(this.volumePath, options.deleteFile);
  }

  /**
   * Uploads the regular file, opened beneath its volume without following links; returns the
   * Girder file id.
   * @throws UnsafePathError when the path is (or passes through) a symbolic link or is no regular file
   */
  async transform(ctx: TransformContext, _result?: RunResultInfo): Promise<string> {
    const { root, relative } = this.volumePath.locate(ctx);
    const file = await uploadFileBeneath(ctx, root, relative, { parentType: 'item', parentId: this.itemId });
    if (this.deleteFile) await removeBeneath(root, relative);
    return file._id;
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { volumePath: this.volumePath, itemId: this.itemId, deleteFile: this.deleteFile };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderUploadVolumePathToItem {
    return new GirderUploadVolumePathToItem(
      fields.instance('volumePath', VolumePath),
      readId(fields, 'itemId'),
      { deleteFile: fields.boolean('deleteFile', false) },
    );
  }
}

/**
 * Result hook: uploads a file, or a whole directory recursively, from a {@link VolumePath} into a
 * Girder folder (girder_worker's `GirderUploadVolumePathToFolder`). A file becomes an item named
 * after it; a directory's files and subdirectories become items and folders.
 */
export class GirderUploadVolumePathToFolder extends ResultTransform<void> {
  /** Serialization kind. */
  static readonly kind: string = 'GirderUploadVolumePathToFolder';
  /** The file or directory to upload. */
  readonly volumePath: VolumePath;
  /** The target folder. */
  readonly folderId: string;
  /** Whether the data is removed after the upload. */
  readonly deleteFile: boolean;

  /**
   * @param volumePath - file or directory, relative to its volume
   * @param folderId - the Girder folder that receives it
   * @param options - `deleteFile`
   */
  constructor(volumePath: VolumePath, folderId: string, options: UploadHookOptions = {}) {
    super();
    this.volumePath = checkVolumePath(volumePath);
    this.folderId = checkId(folderId, 'folderId');
    this.deleteFile = checkDeleteFile(this.volumePath, options.deleteFile);
  }

  /**
   * Uploads the file or folder, read beneath its volume without following links.
   * @throws UnsafePathError when the path or anything inside the folder is a symbolic link
   */
  async transform(ctx: TransformContext, _result?: RunResultInfo): Promise<void> {
    const { root, relative } = this.volumePath.locate(ctx);
    const entry = await resultEntry(root, relative);
    if (entry === 'directory') {
      await uploadFolderBeneath(ctx, root, relative, this.folderId);
    } else {
      await uploadFileBeneath(ctx, root, relative, { parentType: 'folder', parentId: this.folderId });
    }
    if (this.deleteFile) await removeBeneath(root, relative);
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { volumePath: this.volumePath, folderId: this.folderId, deleteFile: this.deleteFile };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderUploadVolumePathToFolder {
    return new GirderUploadVolumePathToFolder(
      fields.instance('volumePath', VolumePath),
      readId(fields, 'folderId'),
      { deleteFile: fields.boolean('deleteFile', false) },
    );
  }
}

/** Options of {@link GirderUploadVolumePathJobArtifact}. */
export interface JobArtifactOptions {
  /**
   * The job to attach to.
   * @default the run's Girder job (service `girderJob`)
   */
  jobId?: string;
  /**
   * The artifact's name, for a single file.
   * @default the file's base name
   */
  name?: string;
  /**
   * Also upload when the run failed (to debug it).
   * @default false
   */
  uploadOnException?: boolean;
}

/**
 * Result hook: attaches a file, or every file of a directory, to a Girder job as artifacts
 * (girder_worker's `GirderUploadVolumePathJobArtifact`). A missing path is a no-op. With
 * `uploadOnException` it also runs when the container failed.
 */
export class GirderUploadVolumePathJobArtifact extends ResultTransform<number> {
  /** Serialization kind. */
  static readonly kind: string = 'GirderUploadVolumePathJobArtifact';
  /** The file or directory to attach. */
  readonly volumePath: VolumePath;
  /** The job, or undefined for the run's own. */
  readonly jobId: string | undefined;
  /** Artifact name for a single file. */
  readonly name: string | undefined;
  /** Whether to upload when the run failed. */
  readonly uploadOnException: boolean;

  /**
   * @param volumePath - file or directory, relative to its volume
   * @param options - job, name, uploadOnException
   */
  constructor(volumePath: VolumePath, options: JobArtifactOptions = {}) {
    super();
    this.volumePath = checkVolumePath(volumePath);
    this.jobId = options.jobId === undefined ? undefined : checkId(options.jobId, 'jobId');
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new SpecValidationError('name', 'a non-empty artifact name', options.name);
    }
    this.name = options.name;
    this.uploadOnException = options.uploadOnException ?? false;
  }

  /**
   * Uploads; returns how many artifacts were attached. Files are read beneath the volume without
   * following links.
   * @throws UnsafePathError when the path or anything inside the folder is a symbolic link
   */
  async transform(ctx: TransformContext, _result?: RunResultInfo): Promise<number> {
    const jobId = this.jobId ?? girderJobIdOf(ctx);
    if (!jobId) throw new Error(`${this.toString()} needs a jobId: the run has no Girder job`);
    const { root, relative } = this.volumePath.locate(ctx);
    return attachJobArtifacts(ctx, root, relative, { jobId, name: this.name });
  }

  /**
   * Uploads when `uploadOnException` is set. A refusal (e.g. a symbolic link left by the
   * container) is also written to the run's log (`worker` line), so it shows on the job.
   */
  override async exception(ctx: TransformContext): Promise<void> {
    if (!this.uploadOnException) return;
    try {
      await this.transform(ctx);
    } catch (error) {
      ctx.reporter.log(
        `${this.toString()} did not attach: ${error instanceof Error ? error.message : String(error)}`,
        'worker',
      );
      throw error;
    }
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return {
      volumePath: this.volumePath,
      jobId: this.jobId,
      name: this.name,
      uploadOnException: this.uploadOnException,
    };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderUploadVolumePathJobArtifact {
    const jobId = fields.optional('jobId', readId);
    const name = fields.optionalString('name');
    return new GirderUploadVolumePathJobArtifact(fields.instance('volumePath', VolumePath), {
      ...(jobId === undefined ? {} : { jobId }),
      ...(name === undefined ? {} : { name }),
      uploadOnException: fields.boolean('uploadOnException', false),
    });
  }
}

/**
 * Result hook: sets metadata on a Girder item (girder_worker's `GirderItemMetadata`): the given
 * `metadata`, or else the run's result (`exitCode`, `containerId`). A key set to null is deleted.
 */
export class GirderItemMetadata extends ResultTransform<Record<string, unknown>> {
  /** Serialization kind. */
  static readonly kind: string = 'GirderItemMetadata';
  /** The item. */
  readonly itemId: string;
  /** Metadata to set (plain JSON), or undefined to record the run's result. */
  readonly metadata: Record<string, unknown> | undefined;

  /**
   * @param itemId - the Girder item
   * @param metadata - what to set (default: the run's result)
   */
  constructor(itemId: string, metadata?: Record<string, unknown>) {
    super();
    this.itemId = checkId(itemId, 'itemId');
    if (
      metadata !== undefined &&
      (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    ) {
      throw new SpecValidationError('metadata', 'an object', metadata);
    }
    this.metadata = metadata;
  }

  /** Sets the metadata; returns what was set. */
  async transform(ctx: TransformContext, result?: RunResultInfo): Promise<Record<string, unknown>> {
    const metadata = this.metadata ?? {
      exitCode: result?.exitCode ?? null,
      containerId: result?.containerId ?? null,
    };
    await girderClientOf(ctx).addMetadataToItem(this.itemId, metadata, { signal: ctx.signal });
    return metadata;
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { itemId: this.itemId, metadata: this.metadata };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderItemMetadata {
    const metadata = fields.value('metadata');
    if (
      metadata !== undefined &&
      (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    ) {
      fields.fail('metadata', 'an object');
    }
    return new GirderItemMetadata(readId(fields, 'itemId'), metadata as Record<string, unknown> | undefined);
  }
}
