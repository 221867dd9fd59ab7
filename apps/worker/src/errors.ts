import { GirderWorkerError, hasErrorIdentity, redactUrl } from '@girder-worker/transforms';

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

/**
 * A run was cancelled (Ctrl-C, SIGTERM, `cancel`, a worker shutting down, or its Girder job turned
 * CANCELING). This is the app's one cancellation error: a cancellation that arrives as another
 * error — `@girder-worker/girder`'s `JobCancelledError` when the Girder job was cancelled, or the
 * reason of an aborted signal — is turned into a `RunCancelledError` (the original as `cause`) by
 * {@link asRunCancelled}, and {@link isCancellation} recognises the whole family.
 */
export class RunCancelledError extends GirderWorkerError {
  override name = 'RunCancelledError' as const;
  /** Who cancelled and why, e.g. `SIGINT received` or `the Girder job was cancelled`. */
  readonly reason: string;
  /**
   * @param reason - who cancelled and why
   * @param options - `cause` when wrapping
   */
  constructor(reason: string, options?: ErrorOptions) {
    super('GW_RUN_CANCELLED', `run cancelled: ${reason}`, options);
    this.reason = reason;
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

/** A queued run failed: its container exited non-zero, its input was unusable, or the run could not be done. */
export class RunFailedError extends GirderWorkerError {
  override name = 'RunFailedError' as const;
  /** The run id. */
  readonly runId: string;
  /** Why, as the worker recorded it. */
  readonly reason: string;
  /** The worker's failure code: `GW_BAD_INPUT` (not retried) or `GW_RUN_FAILED`. */
  readonly failureCode: 'GW_BAD_INPUT' | 'GW_RUN_TIMED_OUT' | 'GW_RUN_FAILED';
  /**
   * @param runId - the run id
   * @param reason - the failure the worker recorded
   * @param options - `cause` when wrapping; `failureCode` @default 'GW_RUN_FAILED'
   */
  constructor(
    runId: string,
    reason: string,
    options?: ErrorOptions & { failureCode?: 'GW_BAD_INPUT' | 'GW_RUN_TIMED_OUT' | 'GW_RUN_FAILED' },
  ) {
    super('GW_RUN_FAILED', `run ${runId} failed: ${reason}`, options);
    this.runId = runId;
    this.reason = reason;
    this.failureCode = options?.failureCode ?? 'GW_RUN_FAILED';
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
 * Redis could not be reached (refused, unknown host, timed out) by a queue command or client.
 * Thrown within seconds instead of waiting for a server that may never come.
 */
export class RedisUnavailableError extends GirderWorkerError {
  override name = 'RedisUnavailableError' as const;
  /** The Redis URL, its secrets masked (`redactUrl`). */
  readonly redisUrl: string;
  /**
   * @param redisUrl - the URL tried (its secrets are masked here)
   * @param reason - why, e.g. `connect ECONNREFUSED 127.0.0.1:6379`
   * @param options - `cause` when wrapping
   */
  constructor(redisUrl: string, reason: string, options?: ErrorOptions) {
    const shown = redactUrl(redisUrl);
    super(
      'GW_REDIS_UNAVAILABLE',
      `cannot reach Redis at ${shown} (${reason}): check --redis and that the server runs`,
      options,
    );
    this.redisUrl = shown;
  }
}

/**
 * Whether `error` is a {@link RedisUnavailableError} (also across two copies of this package).
 * @param error - anything caught
 * @returns true for a RedisUnavailableError
 */
export function isRedisUnavailableError(error: unknown): error is RedisUnavailableError {
  return hasErrorIdentity(error, 'RedisUnavailableError', 'GW_REDIS_UNAVAILABLE');
}

/**
 * Whether `error` is `@girder-worker/girder`'s `JobCancelledError` (a Girder job asked to cancel),
 * by identity so that the app's start does not load that package; an older copy's
 * `JobCancelledError` (`GW_JOB_CANCELED`) counts too.
 */
function isGirderJobCancelled(error: unknown): boolean {
  return (
    hasErrorIdentity(error, 'JobCancelledError', 'GW_JOB_CANCELLED') ||
    hasErrorIdentity(error, 'JobCanceledError', 'GW_JOB_CANCELED')
  );
}

/**
 * Whether `error` means the run was cancelled: a {@link RunCancelledError}, or `@girder-worker/girder`'s
 * `JobCancelledError` (the run's Girder job was canceled), also across copies of either package.
 * @param error - anything caught
 * @returns true for either member of the cancellation family
 */
export function isCancellation(error: unknown): boolean {
  return isRunCancelledError(error) || isGirderJobCancelled(error);
}

/**
 * The run's failure as the app's cancellation error, when it is one. A run whose `signal` was
 * aborted, or whose failure is a cancellation of another kind (a Girder `JobCancelledError`), gives a
 * {@link RunCancelledError} carrying the original as `cause`; a `RunCancelledError` is returned as is.
 *
 * @param error - what the run failed with
 * @param signal - the run's signal, if any
 * @returns a RunCancelledError, or undefined when the run was not cancelled
 */
export function asRunCancelled(error: unknown, signal?: AbortSignal): RunCancelledError | undefined {
  if (isRunCancelledError(error)) return error;
  if (isGirderJobCancelled(error))
    return new RunCancelledError('the Girder job was cancelled', { cause: error });
  if (signal?.aborted) {
    const reason = signal.reason;
    if (isRunCancelledError(reason)) return new RunCancelledError(reason.reason, { cause: error });
    const text = reason instanceof Error ? reason.message : String(reason ?? 'aborted');
    return new RunCancelledError(text, { cause: error });
  }
  return undefined;
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
