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

/** Options of the upload hooks. */
export interface UploadHookOptions {
  /**
   * Remove the uploaded file or directory from the volume afterwards.
   * @default false
   */
  deleteFile?: boolean;
}

/** The field naming the Girder resource an upload hook writes into. */
export type UploadTargetField = 'itemId' | 'folderId';

/** Throws unless `value` is a {@link VolumePath}. */
export function checkVolumePath(value: unknown): VolumePath {
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

/**
 * What an upload hook's constructor takes, read from serialized fields: the volume path, the
 * target id in `field`, and `deleteFile`.
 */
export function readUploadHookFields(
  fields: FieldReader,
  field: UploadTargetField,
): [VolumePath, string, UploadHookOptions] {
  return [
    fields.instance('volumePath', VolumePath),
    readId(fields, field),
    { deleteFile: fields.boolean('deleteFile', false) },
  ];
}

/**
 * The shared body of the hooks that upload what a container wrote at a {@link VolumePath} into a
 * Girder item or folder: validation, locating the path beneath its volume, the optional removal
 * afterwards, and the serialized fields (`volumePath`, the target id, `deleteFile`). Subclasses
 * give only the upload step.
 *
 * @typeParam R - what the upload returns into the run's results
 */
export abstract class VolumePathUpload<R> extends ResultTransform<R> {
  /** The file or directory to upload. */
  readonly volumePath: VolumePath;
  /** Whether the data is removed after the upload. */
  readonly deleteFile: boolean;
  /** The name of the field holding the target id (`itemId` or `folderId`). */
  protected readonly targetField: UploadTargetField;
  /** The Girder item or folder that receives the upload. */
  protected readonly targetId: string;

  /**
   * Validates, in this order, `volumePath`, the target id and `deleteFile`.
   * @param volumePath - file or directory, relative to its volume
   * @param targetField - the field naming the target (used in errors and serialization)
   * @param targetId - the Girder item or folder that receives it
   * @param options - `deleteFile`
   */
  protected constructor(
    volumePath: VolumePath,
    targetField: UploadTargetField,
    targetId: string,
    options: UploadHookOptions,
  ) {
    super();
    this.volumePath = checkVolumePath(volumePath);
    this.targetField = targetField;
    this.targetId = checkId(targetId, targetField);
    this.deleteFile = checkDeleteFile(this.volumePath, options.deleteFile);
  }

  /**
   * The differing step: uploads `relative` beneath `root` (already located, never through a link).
   * @param ctx - the run's context, phase `result`
   * @param root - the volume's host folder
   * @param relative - the path inside it
   */
  protected abstract upload(ctx: TransformContext, root: string, relative: string): Promise<R>;

  /**
   * Uploads, then removes the uploaded data when `deleteFile` is set.
   * @throws UnsafePathError when the path (or anything inside a directory) is a symbolic link
   */
  async transform(ctx: TransformContext, _result?: RunResultInfo): Promise<R> {
    const { root, relative } = this.volumePath.locate(ctx);
    const uploaded = await this.upload(ctx, root, relative);
    if (this.deleteFile) await removeBeneath(root, relative);
    return uploaded;
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { volumePath: this.volumePath, [this.targetField]: this.targetId, deleteFile: this.deleteFile };
  }
}
