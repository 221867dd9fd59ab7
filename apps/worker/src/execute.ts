import { type DockerRunEvent, type DockerRunResult, dockerRun } from '@girder-worker/docker';
import { JobManager } from '@girder-worker/girder';
import { GirderClient } from '@girder-worker/girder-client';
import { type Logger, type Reporter, Services, silentLogger } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import type { RunSpec } from './spec.ts';

/** Options of {@link executeRun}. */
export interface ExecuteOptions {
  /** Cancels the run. */
  signal?: AbortSignal;
  /** Container output and progress (without a Girder job). */
  reporter?: Reporter;
  /** @default silent */
  logger?: Logger;
  /** Docker client. @default from the environment */
  docker?: Docker;
  /** Girder token for the run's `girder` (never logged or stored). */
  girderToken?: string;
  /** Pull, created, started, exited, stream events. */
  onEvent?: (event: DockerRunEvent) => void;
  /** Run id (container labels). */
  runId?: string;
  /** Worker id (container labels). */
  workerId?: string;
  /** Grace between stop and kill when cancelled. @default 10000 */
  stopGraceMs?: number;
}

/**
 * Runs one spec with dockerRun. When the spec names a Girder, the run gets a Girder client
 * (service `girder`); when it names a Girder job, a JobManager keeps the job in step (status, log,
 * progress, cancel from Girder) and receives the container's output.
 */
export async function executeRun(spec: RunSpec, options: ExecuteOptions = {}): Promise<DockerRunResult> {
  const logger = options.logger ?? silentLogger;
  let services = new Services();
  let client: GirderClient | undefined;
  if (spec.girder) {
    client = new GirderClient({
      apiUrl: spec.girder.apiUrl,
      ...(options.girderToken ? { token: options.girderToken } : {}),
      logger,
    });
    services = services.with({
      girder: client,
      ...(spec.girder.jobId ? { girderJob: { jobId: spec.girder.jobId } } : {}),
    });
  }
  const run = (signal: AbortSignal | undefined, reporter: Reporter | undefined): Promise<DockerRunResult> =>
    dockerRun({
      ...spec.options,
      services,
      logger,
      ...(signal ? { signal } : {}),
      ...(reporter ? { reporter } : {}),
      ...(options.docker ? { docker: options.docker } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.runId ? { runId: options.runId } : {}),
      ...(options.workerId ? { workerId: options.workerId } : {}),
      ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
    });
  if (!client || !spec.girder?.jobId) return run(options.signal, options.reporter);
  const job = new JobManager({ client, jobId: spec.girder.jobId, logger });
  const local = options.reporter;
  return job.run((signal, jobReporter) => {
    const reporter: Reporter = local
      ? {
          log: (line, source) => {
            jobReporter.log(line, source);
            local.log(line, source);
          },
          progress: (progress) => {
            jobReporter.progress(progress);
            local.progress(progress);
          },
        }
      : jobReporter;
    return run(signal, reporter);
  }, options.signal);
}
