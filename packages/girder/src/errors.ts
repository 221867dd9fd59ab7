import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/** The Girder job was asked to cancel (CANCELING); the run's signal aborts with this. */
export class JobCancelledError extends GirderWorkerError {
  override name = 'JobCancelledError' as const;
  /** The job. */
  readonly jobId: string;
  /** @param jobId - the job */
  constructor(jobId: string) {
    super('GW_JOB_CANCELLED', `Girder job ${jobId} was cancelled`);
    this.jobId = jobId;
  }
}

/**
 * True for a {@link JobCancelledError}, even from another copy of this package, including one
 * from before the rename (`JobCanceledError`, `GW_JOB_CANCELED`).
 */
export function isJobCancelledError(value: unknown): value is JobCancelledError {
  return (
    hasErrorIdentity(value, 'JobCancelledError', 'GW_JOB_CANCELLED') ||
    hasErrorIdentity(value, 'JobCanceledError', 'GW_JOB_CANCELED')
  );
}

/**
 * The former name of {@link JobCancelledError}, now spelled like the app's `RunCancelledError`
 * (`@alias` tells knip this second name is meant).
 * @deprecated Use `JobCancelledError`.
 * @alias
 */
export const JobCanceledError: typeof JobCancelledError = JobCancelledError;
/**
 * @deprecated Use `JobCancelledError`.
 * @alias
 */
export type JobCanceledError = JobCancelledError;

/**
 * The former name of {@link isJobCancelledError}.
 * @deprecated Use `isJobCancelledError`.
 * @alias
 */
export const isJobCanceledError: typeof isJobCancelledError = isJobCancelledError;
