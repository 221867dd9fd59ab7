import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/** The task ran past the `timelimit` header (Celery's hard, or soft, limit): the container was stopped. */
export class TaskTimeLimitError extends GirderWorkerError {
  override name = 'TaskTimeLimitError' as const;
  /** The limit, in seconds. */
  readonly seconds: number;
  /** Which limit: Celery's `hard` or `soft` one. */
  readonly kind: 'hard' | 'soft';
  /**
   * @param seconds - the limit
   * @param kind - hard or soft
   */
  constructor(seconds: number, kind: 'hard' | 'soft') {
    super(
      'GW_CELERY_TIME_LIMIT',
      `the task ran longer than its ${kind} time limit of ${seconds} s and was stopped`,
    );
    this.seconds = seconds;
    this.kind = kind;
  }
}

/** True for a {@link TaskTimeLimitError}, also from another copy of this package. */
export function isTaskTimeLimitError(value: unknown): value is TaskTimeLimitError {
  return hasErrorIdentity(value, 'TaskTimeLimitError', 'GW_CELERY_TIME_LIMIT');
}

/** Girder answered a job update with something other than success. Carries the status, never the token. */
export class JobUpdateError extends GirderWorkerError {
  override name = 'JobUpdateError' as const;
  /** The HTTP status (0 when no answer came). */
  readonly status: number;
  /** Girder's `field` (e.g. `status` for an invalid transition). */
  readonly field: string | undefined;
  /**
   * @param method - the HTTP method
   * @param url - the job URL
   * @param status - the HTTP status
   * @param detail - Girder's message
   * @param field - Girder's `field`
   * @param options - `cause`
   */
  constructor(
    method: string,
    url: string,
    status: number,
    detail: string,
    field?: string,
    options?: ErrorOptions,
  ) {
    super('GW_CELERY_JOB_UPDATE', `${method} ${url} failed (${status || 'no answer'}): ${detail}`, options);
    this.status = status;
    this.field = field;
  }
}

/** True for a {@link JobUpdateError}, also from another copy of this package. */
export function isJobUpdateError(value: unknown): value is JobUpdateError {
  return hasErrorIdentity(value, 'JobUpdateError', 'GW_CELERY_JOB_UPDATE');
}
