import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/**
 * Input the app cannot use: a spec that is not JSON, an option out of range, a missing argument.
 * (A spec that is JSON but invalid throws transforms' `SpecValidationError` instead.) The CLI
 * exits 2 on either.
 */
export class BadInputError extends GirderWorkerError {
  override name = 'BadInputError' as const;
  /** The option or input that was wrong, e.g. `--concurrency` or `spec.json`. */
  readonly field: string;
  /**
   * @param field - the option or input that was wrong
   * @param message - what was expected, what came, what to do
   * @param options - `cause` when wrapping
   */
  constructor(field: string, message: string, options?: ErrorOptions) {
    super('GW_BAD_INPUT', `${field}: ${message}`, options);
    this.field = field;
  }
}

/** A run was cancelled (Ctrl-C, SIGTERM, `cancel`, or its Girder job turned CANCELING). */
export class RunCancelledError extends GirderWorkerError {
  override name = 'RunCancelledError' as const;
  /**
   * @param reason - who cancelled and why
   * @param options - `cause` when wrapping
   */
  constructor(reason: string, options?: ErrorOptions) {
    super('GW_RUN_CANCELLED', `run cancelled: ${reason}`, options);
  }
}

/** No run with that id is in the queue (never queued, cancelled while queued, or expired). */
export class RunNotFoundError extends GirderWorkerError {
  override name = 'RunNotFoundError' as const;
  /** The run id asked for. */
  readonly runId: string;
  /**
   * @param runId - the id asked for
   * @param queue - the queue looked in
   */
  constructor(runId: string, queue: string) {
    super(
      'GW_RUN_NOT_FOUND',
      `no run with id ${runId} in queue '${queue}': check the id and --queue (finished runs are kept for a day)`,
    );
    this.runId = runId;
  }
}

/** A queued run failed: its container exited non-zero, or the run could not be done. */
export class RunFailedError extends GirderWorkerError {
  override name = 'RunFailedError' as const;
  /** The run id. */
  readonly runId: string;
  /** Why, as the worker recorded it. */
  readonly reason: string;
  /**
   * @param runId - the run id
   * @param reason - the failure the worker recorded
   * @param options - `cause` when wrapping
   */
  constructor(runId: string, reason: string, options?: ErrorOptions) {
    super('GW_RUN_FAILED', `run ${runId} failed: ${reason}`, options);
    this.runId = runId;
    this.reason = reason;
  }
}

/**
 * Whether `error` is a {@link BadInputError} (also across two copies of this package).
 * @param error - anything caught
 * @returns true for a BadInputError
 */
export function isBadInputError(error: unknown): error is BadInputError {
  return hasErrorIdentity(error, 'BadInputError', 'GW_BAD_INPUT');
}

/**
 * Whether `error` is a {@link RunCancelledError} (also across two copies of this package).
 * @param error - anything caught
 * @returns true for a RunCancelledError
 */
export function isRunCancelledError(error: unknown): error is RunCancelledError {
  return hasErrorIdentity(error, 'RunCancelledError', 'GW_RUN_CANCELLED');
}

/**
 * Whether `error` is a {@link RunNotFoundError} (also across two copies of this package).
 * @param error - anything caught
 * @returns true for a RunNotFoundError
 */
export function isRunNotFoundError(error: unknown): error is RunNotFoundError {
  return hasErrorIdentity(error, 'RunNotFoundError', 'GW_RUN_NOT_FOUND');
}

/**
 * Whether `error` is a {@link RunFailedError} (also across two copies of this package).
 * @param error - anything caught
 * @returns true for a RunFailedError
 */
export function isRunFailedError(error: unknown): error is RunFailedError {
  return hasErrorIdentity(error, 'RunFailedError', 'GW_RUN_FAILED');
}
