import { GirderWorkerError, hasErrorIdentity } from '../errors.ts';

/** Why a path was refused by the safe filesystem layer. */
export type UnsafePathReason =
  | 'symlink'
  | 'escape'
  | 'root'
  | 'exists'
  | 'not-a-file'
  | 'not-a-directory'
  | 'replaced';

const ADVICE: Record<UnsafePathReason, string> = {
  symlink:
    'symbolic links inside a volume are never followed (a container may have made it); write a real file there',
  escape: 'only plain relative paths inside the volume are allowed (no "..", no absolute path)',
  root: 'the volume root itself is never removed; name a file or folder inside it',
  exists:
    'something this run did not create is already there and is never overwritten; choose another name or remove it first',
  'not-a-file': 'only regular files are read or written there',
  'not-a-directory': 'a folder was expected there',
  replaced: 'what this run created was replaced by something else, which is left alone',
};

/**
 * A path inside a volume was refused: it is or passes through a symbolic link, leaves its root,
 * names the root for deletion, already exists where the run creates exclusively, or has the wrong
 * type. Thrown by the safe filesystem layer ({@link SafeDir} and the `*Beneath` helpers); carries
 * the volume `root`, the `relative` path and the `reason`.
 */
export class UnsafePathError extends GirderWorkerError {
  override name = 'UnsafePathError' as const;
  /** The trusted directory the path was resolved beneath. */
  readonly root: string;
  /** The path relative to `root` that was refused. */
  readonly relative: string;
  /** Why. */
  readonly reason: UnsafePathReason;
  /**
   * @param root - the trusted directory
   * @param relative - the refused path, relative to `root`
   * @param reason - why it was refused
   * @param detail - what was found, e.g. `"out" is a symbolic link`
   * @param options - `cause` when wrapping
   */
  constructor(
    root: string,
    relative: string,
    reason: UnsafePathReason,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(
      'GW_UNSAFE_PATH',
      `refused ${JSON.stringify(relative || '.')} in ${root}: ${detail}; ${ADVICE[reason]}`,
      options,
    );
    this.root = root;
    this.relative = relative;
    this.reason = reason;
  }
}

/** True for an {@link UnsafePathError}, even from another copy of this package. */
export function isUnsafePathError(value: unknown): value is UnsafePathError {
  return hasErrorIdentity(value, 'UnsafePathError', 'GW_UNSAFE_PATH');
}
