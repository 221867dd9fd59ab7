/**
 * Job status values: the jobs plugin's (plugins/jobs/girder_jobs/constants.py `JobStatus`) and
 * the worker plugin's (plugins/worker/girder_plugin_worker/status.py `CustomJobStatus`).
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
} = {
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
} as const;

const S = JobStatus;

/** Core transitions (target ← allowed sources), used for jobs of other handlers. */
const CORE: Record<number, number[]> = {
  [S.QUEUED]: [S.INACTIVE],
  [S.RUNNING]: [S.QUEUED, S.INACTIVE],
  [S.SUCCESS]: [S.RUNNING],
  [S.ERROR]: [S.QUEUED, S.RUNNING],
  [S.CANCELED]: [S.INACTIVE, S.QUEUED, S.RUNNING],
};

/** The worker plugin's transitions for `handler: "worker_handler"` jobs. */
const WORKER: Record<number, number[]> = {
  [S.QUEUED]: [S.INACTIVE],
  [S.RUNNING]: [S.QUEUED, S.FETCHING_INPUT],
  [S.FETCHING_INPUT]: [S.RUNNING],
  [S.CONVERTING_INPUT]: [S.RUNNING, S.FETCHING_INPUT],
  [S.CONVERTING_OUTPUT]: [S.RUNNING],
  [S.PUSHING_OUTPUT]: [S.RUNNING, S.CONVERTING_OUTPUT],
  [S.CANCELING]: [S.INACTIVE, S.QUEUED, S.RUNNING],
  [S.ERROR]: [
    S.FETCHING_INPUT,
    S.CONVERTING_INPUT,
    S.CONVERTING_OUTPUT,
    S.PUSHING_OUTPUT,
    S.CANCELING,
    S.QUEUED,
    S.RUNNING,
  ],
  [S.CANCELED]: [S.CANCELING, S.QUEUED, S.RUNNING],
  [S.SUCCESS]: [S.RUNNING, S.PUSHING_OUTPUT],
};

/** The worker plugin's transitions for `handler: "celery_handler"` jobs. */
const CELERY: Record<number, number[]> = {
  ...WORKER,
  [S.RUNNING]: [S.INACTIVE, S.QUEUED, S.FETCHING_INPUT],
  [S.CANCELED]: [S.CANCELING, S.INACTIVE, S.QUEUED, S.RUNNING],
};

/**
 * Whether a status value is known (core statuses, plus the worker plugin's, which it accepts for
 * every job).
 *
 * @param status - The status.
 * @returns `true` when valid.
 */
export function isValidJobStatus(status: unknown): boolean {
  return typeof status === 'number' && (Object.values(JobStatus) as number[]).includes(status);
}

/**
 * The statuses a job may move to `status` from, as the jobs plugin asks its handlers
 * (`JobStatus.validTransitions` + the worker plugin's `validTransitions` event handler).
 *
 * @param handler - The job's handler.
 * @param status - The target status.
 * @returns The allowed source statuses, or `undefined` when nothing may move there.
 */
export function validTransitionsFor(handler: string | null, status: number | string): number[] | undefined {
  if (typeof status !== 'number') return undefined;
  if (handler === 'worker_handler') return WORKER[status] ?? CORE[status];
  if (handler === 'celery_handler') return CELERY[status] ?? CORE[status];
  return CORE[status];
}
