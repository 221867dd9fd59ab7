import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/** The Girder job was asked to cancel (CANCELING); the run's signal aborts with this. */
export class JobCanceledError extends GirderWorkerError {
  override name = 'JobCanceledError' as const;
  /** The job. */
  readonly jobId: string;
  /** @param jobId - the job */
  constructor(jobId: string) {
    super('GW_JOB_CANCELED', `Girder job ${jobId} was canceled`);
    this.jobId = jobId;
  }
}

/** True for a {@link JobCanceledError}, even from another copy of this package. */
export function isJobCanceledError(value: unknown): value is JobCanceledError {
  return hasErrorIdentity(value, 'JobCanceledError', 'GW_JOB_CANCELED');
}
