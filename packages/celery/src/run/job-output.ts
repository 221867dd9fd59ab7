import { Connect, ContainerStdErr, ContainerStdOut, isContainerStream } from '@girder-worker/pipes';
import { findTransforms, type Logger, type Reporter, type Transform } from '@girder-worker/transforms';
import type { MappedDockerRunTask } from '../mapping/map-docker-run.ts';
import type { TaskRun } from './end-task.ts';
import { JobLogSink } from './job-log-sink.ts';
import type { JobInfoReporter } from './job-reporter.ts';

/**
 * Connectors sending the container's stdout/stderr to the job log (with `logPrint`), unless the
 * message connects them itself.
 * @param mapped - the mapped run
 * @param job - the task's job
 * @returns the connectors to add to `streamConnectors`
 */
export function stdStreamConnectors(
  mapped: MappedDockerRunTask,
  job: JobInfoReporter | undefined,
): Transform[] {
  if (!job?.logPrint) return [];
  const connected = new Set(
    findTransforms([mapped.containerArgs, mapped.streamConnectors])
      .filter((t): t is Connect => t instanceof Connect && isContainerStream(t.input))
      .map((t) => (t.input as ContainerStdOut | ContainerStdErr).stream),
  );
  const out: Transform[] = [];
  if (!connected.has('stdout')) out.push(new Connect(new ContainerStdOut(), new JobLogSink(job, 'stdout')));
  if (!connected.has('stderr')) out.push(new Connect(new ContainerStdErr(), new JobLogSink(job, 'stderr')));
  return out;
}

/**
 * The reporter `dockerRun` writes output lines and progress to: the job (log with `logPrint`),
 * else the worker's logger.
 * @param run - the task's job and context
 * @param logger - the worker's log
 * @returns the reporter
 */
export function reporterFor(run: TaskRun, logger: Logger): Reporter {
  const { job, context } = run;
  return {
    log: (line, source) => {
      if (job?.logPrint) job.write(`${line}\n`);
      else logger.info(line, { taskId: context.taskId, source: source ?? 'worker' });
    },
    progress: (progress) => {
      if (job) job.progress(progress);
      else logger.debug('progress', { taskId: context.taskId, ...progress });
    },
  };
}
