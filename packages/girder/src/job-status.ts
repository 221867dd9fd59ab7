/**
 * Girder job statuses: the jobs plugin's and the worker plugin's (girder_jobs `JobStatus`,
 * girder_plugin_worker `CustomJobStatus`).
 */
export const JobStatus: {
  readonly INACTIVE: 0;
  readonly QUEUED: 1;
  readonly RUNNING: 2;
  readonly SUCCESS: 3;
  readonly ERROR: 4;
  readonly CANCELED: 5;
  readonly FETCHING_INPUT: 820;
  readonly CONVERTING_INPUT: 821;
  readonly CONVERTING_OUTPUT: 822;
  readonly PUSHING_OUTPUT: 823;
  readonly CANCELING: 824;
} = Object.freeze({
  INACTIVE: 0,
  QUEUED: 1,
  RUNNING: 2,
  SUCCESS: 3,
  ERROR: 4,
  CANCELED: 5,
  FETCHING_INPUT: 820,
  CONVERTING_INPUT: 821,
  CONVERTING_OUTPUT: 822,
  PUSHING_OUTPUT: 823,
  CANCELING: 824,
} as const);

/** One of the {@link JobStatus} values. */
export type JobStatusValue = (typeof JobStatus)[keyof typeof JobStatus];

/** Whether a job in `status` is over (SUCCESS, ERROR or CANCELED). */
export function isFinalJobStatus(status: number): boolean {
  return status === JobStatus.SUCCESS || status === JobStatus.ERROR || status === JobStatus.CANCELED;
}
