import { JobStatus } from '@girder-worker/girder';
import type { Logger } from '@girder-worker/transforms';
import type { TaskContext, TaskOutcome } from '../task.ts';
import { failureText } from './failure-text.ts';
import type { JobInfoReporter } from './job-reporter.ts';

/** What the steps of one task share. */
export interface TaskRun {
  /** The Girder job, when the message has a `jobInfoSpec`. */
  job: JobInfoReporter | undefined;
  /** The broker's context (task id, revoke signal). */
  context: TaskContext;
}

/**
 * Ends a task as failed: `<Type>: <message>` in the job log (girder_worker's text), job ERROR.
 * @param run - the task's job reporter and context
 * @param error - what failed
 * @param logger - the worker's log
 * @returns the FAILURE outcome
 */
export async function fail(run: TaskRun, error: unknown, logger: Logger): Promise<TaskOutcome> {
  const { type, message } = failureText(error);
  logger.warn('docker_run failed', { taskId: run.context.taskId, type, error: message });
  if (run.job) {
    run.job.write(`${type}: ${message}\n`);
    await run.job.setStatus(JobStatus.ERROR).catch((e: unknown) => {
      logger.warn('could not set the Girder job to ERROR', { taskId: run.context.taskId, error: String(e) });
    });
  }
  return { status: 'FAILURE', error: { type, message } };
}

/**
 * Ends a task as canceled: job CANCELED.
 * @param run - the task's job reporter and context
 * @param logger - the worker's log
 * @returns the REVOKED outcome
 */
export async function cancel(run: TaskRun, logger: Logger): Promise<TaskOutcome> {
  logger.info('docker_run canceled', { taskId: run.context.taskId });
  if (run.job) {
    await run.job.setStatus(JobStatus.CANCELED).catch((e: unknown) => {
      logger.warn('could not set the Girder job to CANCELED', {
        taskId: run.context.taskId,
        error: String(e),
      });
    });
  }
  return { status: 'REVOKED' };
}
