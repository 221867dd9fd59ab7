import {
  type FieldReader,
  ResultTransform,
  type RunResultInfo,
  SpecValidationError,
  type TransformContext,
  VolumePath,
} from '@girder-worker/transforms';
import { checkId, readId } from './ids.ts';
import { attachJobArtifacts, resultEntry, uploadFileBeneath, uploadFolderBeneath } from './safe-upload.ts';
import { girderClientOf, girderJobIdOf } from './services.ts';
import {
  checkVolumePath,
  readUploadHookFields,
  type UploadHookOptions,
  VolumePathUpload,
} from './volume-path-upload.ts';

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
export class GirderUploadVolumePathToItem extends VolumePathUpload<string> {
  /** Serialization kind. */
  static readonly kind: string = 'GirderUploadVolumePathToItem';

  /**
   * @param volumePath - the file, relative to its volume
   * @param itemId - the Girder item that receives it
   * @param options - `deleteFile`
   */
  constructor(volumePath: VolumePath, itemId: string, options: UploadHookOptions = {}) {
    super(volumePath, 'itemId', itemId, options);
  }

  /** The target item. */
  get itemId(): string {
    return this.targetId;
  }

  /**
   * Uploads the regular file, opened beneath its volume without following links; returns the
   * Girder file id.
   * @throws UnsafePathError when the path is (or passes through) a symbolic link or is no regular file
   */
  protected async upload(ctx: TransformContext, root: string, relative: string): Promise<string> {
    const file = await uploadFileBeneath(ctx, root, relative, { parentType: 'item', parentId: this.itemId });
    return file._id;
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderUploadVolumePathToItem {
    return new GirderUploadVolumePathToItem(...readUploadHookFields(fields, 'itemId'));
  }
}

/**
 * Result hook: uploads a file, or a whole directory recursively, from a {@link VolumePath} into a
 * Girder folder (girder_worker's `GirderUploadVolumePathToFolder`). A file becomes an item named
 * after it; a directory's files and subdirectories become items and folders.
 */
export class GirderUploadVolumePathToFolder extends VolumePathUpload<void> {
  /** Serialization kind. */
  static readonly kind: string = 'GirderUploadVolumePathToFolder';

  /**
   * @param volumePath - file or directory, relative to its volume
   * @param folderId - the Girder folder that receives it
   * @param options - `deleteFile`
   */
  constructor(volumePath: VolumePath, folderId: string, options: UploadHookOptions = {}) {
    super(volumePath, 'folderId', folderId, options);
  }

  /** The target folder. */
  get folderId(): string {
    return this.targetId;
  }

  /**
   * Uploads the file or folder, read beneath its volume without following links.
   * @throws UnsafePathError when the path or anything inside the folder is a symbolic link
   */
  protected async upload(ctx: TransformContext, root: string, relative: string): Promise<void> {
    const entry = await resultEntry(root, relative);
    if (entry === 'directory') {
      await uploadFolderBeneath(ctx, root, relative, this.folderId);
    } else {
      await uploadFileBeneath(ctx, root, relative, { parentType: 'folder', parentId: this.folderId });
    }
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderUploadVolumePathToFolder {
    return new GirderUploadVolumePathToFolder(...readUploadHookFields(fields, 'folderId'));
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
