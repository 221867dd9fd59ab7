import { posix } from 'node:path';
import type { TransformContext } from './context.ts';
import { SpecValidationError } from './errors.ts';
import type { FieldReader } from './field-reader.ts';
import { joinInside, relativePathProblem } from './paths.ts';
import { Transform } from './transform.ts';
import { BindMountVolume, resolveVolume, TemporaryVolume } from './volumes.ts';

/** `filename` normalised lexically, without a trailing slash; `.` for the root. */
function normalRelative(filename: string): string {
  return posix.normalize(filename).replace(/\/+$/, '') || '.';
}

/**
 * A path relative to a volume: the container path while arguments are prepared, the host path in
 * result hooks (as in girder_worker).
 *
 * @example
 * ```ts
 * const out = new VolumePath('result.txt');           // on the run's temporary volume
 * dockerRun({ image, containerArgs: ['--out', out], resultHooks: [new GirderUploadVolumePathToItem(out, itemId)] });
 * ```
 */
export class VolumePath extends Transform<string> {
  /** Serialization kind. */
  static readonly kind: string = 'VolumePath';
  /** The path relative to the volume's root. */
  readonly filename: string;
  /** The volume the path lives on. */
  readonly volume: BindMountVolume;

  /**
   * @param filename - relative path; absolute paths and paths leaving the volume are rejected
   * @param volume - the volume (default: the run's temporary volume)
   * @throws {@link SpecValidationError} on an unsafe filename
   */
  constructor(filename: string, volume: BindMountVolume = TemporaryVolume.default) {
    super();
    if (typeof filename !== 'string') throw new SpecValidationError('filename', 'a relative path', filename);
    const problem = relativePathProblem(filename);
    if (problem)
      throw new SpecValidationError(
        'filename',
        `a relative path inside the volume (it ${problem})`,
        filename,
      );
    if (!(volume instanceof BindMountVolume)) throw new SpecValidationError('volume', 'a volume', volume);
    this.filename = filename;
    this.volume = volume;
  }

  /** The host path of this file in the run. */
  hostPath(ctx: TransformContext): string {
    return joinInside(resolveVolume(this.volume, ctx).hostPath, this.filename);
  }

  /**
   * Where this path is on the host, split for the safe filesystem layer: the volume's host
   * directory (trusted) and the path beneath it, normalised (`.` for the volume root itself).
   * Read and delete through `openFileBeneath`/`removeBeneath` with these, never through
   * {@link VolumePath.hostPath}: a container may have put links on the way.
   */
  locate(ctx: TransformContext): { root: string; relative: string } {
    return { root: resolveVolume(this.volume, ctx).hostPath, relative: normalRelative(this.filename) };
  }

  /** Whether this path names the volume root itself (`.`, `a/..`). */
  get isVolumeRoot(): boolean {
    return normalRelative(this.filename) === '.';
  }

  /** The container path of this file in the run. */
  containerPath(ctx: TransformContext): string {
    return joinInside(resolveVolume(this.volume, ctx).containerPath, this.filename);
  }

  /** Container path in phase `argument`, host path in phase `result`. */
  async transform(ctx: TransformContext): Promise<string> {
    await this.volume.transform(ctx);
    return ctx.phase === 'result' ? this.hostPath(ctx) : this.containerPath(ctx);
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { filename: this.filename, volume: this.volume };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): VolumePath {
    return new VolumePath(
      fields.relativePath('filename'),
      fields.instance('volume', BindMountVolume, TemporaryVolume.default),
    );
  }
}
