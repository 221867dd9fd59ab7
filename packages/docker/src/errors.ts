import { GirderWorkerError, hasErrorIdentity, SpecValidationError } from '@girder-worker/transforms';

/**
 * The container exited with a non-zero code. Carries the exit code, the image, the container id
 * and the tail of its stderr.
 */
export class DockerRunError extends GirderWorkerError {
  override name = 'DockerRunError' as const;
  /** The container's exit code. */
  readonly exitCode: number;
  /** The image that ran. */
  readonly image: string;
  /** The container id. */
  readonly containerId: string;
  /** The last lines of the container's stderr (at most a few KiB). */
  readonly stderrTail: string;

  /**
   * @param details - exit code, image, container id, stderr tail
   */
  constructor(details: { exitCode: number; image: string; containerId: string; stderrTail: string }) {
    const tail = details.stderrTail.trimEnd();
    super(
      'GW_CONTAINER_FAILED',
      `container ${details.containerId.slice(0, 12)} of image '${details.image}' exited with code ${details.exitCode}${tail ? `; stderr ends with:\n${tail}` : ''}`,
    );
    this.exitCode = details.exitCode;
    this.image = details.image;
    this.containerId = details.containerId;
    this.stderrTail = details.stderrTail;
  }
}

/** The image is not present and could not (or may not) be pulled. */
export class ImageNotFoundError extends GirderWorkerError {
  override name = 'ImageNotFoundError' as const;
  /** The image asked for. */
  readonly image: string;
  /**
   * @param image - the image
   * @param reason - why it cannot be had
   * @param options - `cause`
   */
  constructor(image: string, reason: string, options?: ErrorOptions) {
    super('GW_IMAGE_NOT_FOUND', `image '${image}' ${reason}`, options);
    this.image = image;
  }
}

/** The Docker engine refused or failed an operation (create, start, …); `cause` is dockerode's error. */
export class DockerEngineError extends GirderWorkerError {
  override name = 'DockerEngineError' as const;
  /** The engine's HTTP status, when it answered. */
  readonly statusCode: number | undefined;
  /**
   * @param operation - what was attempted
   * @param cause - dockerode's error (`statusCode`, `json`)
   */
  constructor(operation: string, cause: unknown) {
    const c = cause as { statusCode?: number; json?: { message?: string }; message?: string } | null;
    const reason = c?.json?.message ?? c?.message ?? String(cause);
    super('GW_DOCKER_ENGINE', `the Docker engine failed to ${operation}: ${reason}`, { cause });
    this.statusCode = c?.statusCode;
  }
}

/**
 * The container ran longer than the run's `timeoutMs`: it was stopped (with the stop grace) and
 * everything cleaned up. Carries the limit, the image and the container id.
 */
export class RunTimeoutError extends GirderWorkerError {
  override name = 'RunTimeoutError' as const;
  /** The limit that was reached, in milliseconds. */
  readonly timeoutMs: number;
  /** The image that ran. */
  readonly image: string;
  /** The container id. */
  readonly containerId: string;
  /** @param details - limit, image, container id */
  constructor(details: { timeoutMs: number; image: string; containerId: string }) {
    super(
      'GW_RUN_TIMED_OUT',
      `container ${details.containerId.slice(0, 12)} of image '${details.image}' timed out after ${details.timeoutMs} ms and was stopped; raise timeoutMs if the run needs longer`,
    );
    this.timeoutMs = details.timeoutMs;
    this.image = details.image;
    this.containerId = details.containerId;
  }
}

/** True for a {@link RunTimeoutError}, even from another copy of this package. */
export function isRunTimeoutError(value: unknown): value is RunTimeoutError {
  return hasErrorIdentity(value, 'RunTimeoutError', 'GW_RUN_TIMED_OUT');
}

/** True for a {@link DockerRunError}, even from another copy of this package. */
export function isDockerRunError(value: unknown): value is DockerRunError {
  return hasErrorIdentity(value, 'DockerRunError', 'GW_CONTAINER_FAILED');
}
/** True for an {@link ImageNotFoundError}, even from another copy of this package. */
export function isImageNotFoundError(value: unknown): value is ImageNotFoundError {
  return hasErrorIdentity(value, 'ImageNotFoundError', 'GW_IMAGE_NOT_FOUND');
}
/** True for a {@link DockerEngineError}, even from another copy of this package. */
export function isDockerEngineError(value: unknown): value is DockerEngineError {
  return hasErrorIdentity(value, 'DockerEngineError', 'GW_DOCKER_ENGINE');
}

/**
 * A run asks for something the worker's policy does not allow (an image, a host path, an Engine
 * option, more than a limit). Bad input, like every {@link SpecValidationError} (it is one, so
 * `isSpecValidationError` matches it and it is never retried): thrown before any container starts.
 */
export class PolicyViolationError extends SpecValidationError {
  constructor(path: string, expected: string, received: unknown) {
    super(path, expected, received);
    // Its own name; the code stays GW_INVALID_SPEC, so `isSpecValidationError` matches it too.
    Object.defineProperty(this, 'name', { value: 'PolicyViolationError', enumerable: true, writable: true });
  }
}

/** True for a {@link PolicyViolationError}, even from another copy of this package. */
export function isPolicyViolationError(value: unknown): value is PolicyViolationError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'PolicyViolationError'
  );
}
