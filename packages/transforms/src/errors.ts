/** Codes of the errors this package throws; stable across versions. */
export type TransformsErrorCode =
  | 'GW_INVALID_SPEC'
  | 'GW_MISSING_SERVICE'
  | 'GW_VOLUME_CONFLICT'
  | 'GW_TRANSFORM_FAILED'
  | 'GW_CLEANUP_FAILED'
  | 'GW_UNSAFE_PATH';

/** Base class of girder-worker's errors: a literal `name` and a stable `code`. */
export class GirderWorkerError extends Error {
  override name = 'GirderWorkerError';
  /** Stable machine-readable code. */
  readonly code: string;
  /**
   * @param code - stable code
   * @param message - what failed, on what, why, and what to do
   * @param options - `cause` when wrapping
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Describes a received value briefly for an error message (truncated, never a whole document). */
function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(truncate(value));
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol' || typeof value === 'bigint') return `a ${typeof value}`;
  if (typeof value === 'object') {
    const kind = (value as { $transform?: unknown }).$transform;
    if (typeof kind === 'string') return `a ${truncate(kind, 40)} transform`;
    const instanceKind = (value as { kind?: unknown; toJSON?: unknown }).kind;
    if (typeof instanceKind === 'string' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return `a ${truncate(instanceKind, 40)} transform`;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== null && proto !== Object.prototype)
      return `a ${truncate(value.constructor?.name ?? 'class', 40)}`;
    return 'an object';
  }
  return truncate(String(value));
}

/**
 * A run description is invalid: thrown before anything runs, naming the JSON path of the field,
 * what was expected and what came. Never worth retrying (`retryable` is false).
 */
export class SpecValidationError extends GirderWorkerError {
  override name = 'SpecValidationError' as const;
  /** JSON path of the offending field, e.g. `containerArgs[2].volume.mode`. */
  readonly path: string;
  /** What the field should have been. */
  readonly expected: string;
  /** A short description of what came. */
  readonly received: string;
  /** Always false: the same spec fails the same way. */
  readonly retryable = false as const;
  /**
   * @param path - JSON path of the field (empty for the root)
   * @param expected - what was expected
   * @param received - the value that came (described briefly)
   */
  constructor(path: string, expected: string, received: unknown) {
    const got = describeValue(received);
    super('GW_INVALID_SPEC', `${path || '(root)'}: expected ${expected}, got ${got}`);
    this.path = path;
    this.expected = expected;
    this.received = got;
  }
}

/** A transform asked the context for a service (e.g. `girder`) that the run did not provide. */
export class MissingServiceError extends GirderWorkerError {
  override name = 'MissingServiceError' as const;
  /** The service key asked for. */
  readonly service: string;
  /** @param service - the service key */
  constructor(service: string) {
    super(
      'GW_MISSING_SERVICE',
      `no "${service}" service in this run's context: pass it in the run's services (e.g. dockerRun({ services }))`,
    );
    this.service = service;
  }
}

/** Two volumes claim the same container path. */
export class VolumeConflictError extends GirderWorkerError {
  override name = 'VolumeConflictError' as const;
  /** The container path both claim. */
  readonly containerPath: string;
  /**
   * @param containerPath - the contested path
   * @param first - the first claimant's host path
   * @param second - the second claimant's host path
   */
  constructor(containerPath: string, first: string, second: string) {
    super(
      'GW_VOLUME_CONFLICT',
      `two volumes are mounted at ${containerPath}: ${first} and ${second}; give each its own container path`,
    );
    this.containerPath = containerPath;
  }
}

/** A transform (or result hook) failed; `cause` holds its error. */
export class TransformError extends GirderWorkerError {
  override name = 'TransformError' as const;
  /** Display form of the failing transform. */
  readonly transform: string;
  /** Where it sat, e.g. `containerArgs[1]`. */
  readonly path: string;
  /**
   * @param transform - display form of the transform
   * @param path - where it sat in the run description
   * @param phase - what it was doing
   * @param cause - the original error
   */
  constructor(transform: string, path: string, phase: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('GW_TRANSFORM_FAILED', `${transform} at ${path || '(root)'} failed during ${phase}: ${reason}`, {
      cause,
    });
    this.transform = transform;
    this.path = path;
  }
}

/**
 * One or more cleanup steps failed; every step still ran. A member of the error family like the
 * others (`GirderWorkerError`, a stable `code`, {@link isCleanupError}); `errors` holds every
 * failure, as `AggregateError`'s field of that name does, and `cause` the first one, so that a log
 * following causes shows it.
 */
export class CleanupError extends GirderWorkerError {
  override name = 'CleanupError' as const;
  /** Every failure, in the order the steps ran. */
  readonly errors: readonly unknown[];
  /** @param errors - every failure, in the order the steps ran (at least one) */
  constructor(errors: readonly unknown[]) {
    const first = errors[0] instanceof Error ? errors[0].message : String(errors[0]);
    super('GW_CLEANUP_FAILED', `${errors.length} cleanup step(s) failed; first: ${first}`, {
      cause: errors[0],
    });
    this.errors = [...errors];
  }
}

/**
 * Whether `value` is an error with this `name` or this `code`: the test behind every `isXError()`
 * guard of girder-worker, so a check works across two installed copies of a package.
 */
export function hasErrorIdentity(value: unknown, name: string, code: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown };
  return v.name === name || v.code === code;
}

/** True for a {@link SpecValidationError}, even from another copy of this package. */
export function isSpecValidationError(value: unknown): value is SpecValidationError {
  return hasErrorIdentity(value, 'SpecValidationError', 'GW_INVALID_SPEC');
}
/** True for a {@link MissingServiceError}, even from another copy of this package. */
export function isMissingServiceError(value: unknown): value is MissingServiceError {
  return hasErrorIdentity(value, 'MissingServiceError', 'GW_MISSING_SERVICE');
}
/** True for a {@link VolumeConflictError}, even from another copy of this package. */
export function isVolumeConflictError(value: unknown): value is VolumeConflictError {
  return hasErrorIdentity(value, 'VolumeConflictError', 'GW_VOLUME_CONFLICT');
}
/** True for a {@link TransformError}, even from another copy of this package. */
export function isTransformError(value: unknown): value is TransformError {
  return hasErrorIdentity(value, 'TransformError', 'GW_TRANSFORM_FAILED');
}
/** True for a {@link CleanupError}, even from another copy of this package. */
export function isCleanupError(value: unknown): value is CleanupError {
  return hasErrorIdentity(value, 'CleanupError', 'GW_CLEANUP_FAILED');
}
