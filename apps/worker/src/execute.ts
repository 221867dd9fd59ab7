import {
  type DockerRunEvent,
  type DockerRunResult,
  dockerConfigCredentials,
  dockerRun,
  environmentDefaults,
  type RegistryCredentials,
  type RunDefaults,
  type RunPolicy,
} from '@girder-worker/docker';
import type { GirderClient, GirderRequestEvent } from '@girder-worker/girder-client';
import { type Logger, type Reporter, Services, silentLogger } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import type { RunSpec } from './spec.ts';

/** Options of {@link executeRun}. */
export interface ExecuteOptions {
  /** Cancels the run: the container is stopped (then killed after `stopGraceMs`), everything cleaned. */
  signal?: AbortSignal;
  /** Container output lines and progress. @default the container's output to this process's stdout/stderr */
  reporter?: Reporter;
  /** @default silent */
  logger?: Logger;
  /** Docker client. @default from the environment */
  docker?: Docker;
  /** Girder token for the run's `girder` (never logged or stored). */
  girderToken?: string;
  /** Called on pull progress, created, started, exited, stream bytes, cancelled. */
  onEvent?: (event: DockerRunEvent) => void;
  /** Told of each answer and retry of the run's Girder requests (for metrics; no URL, no token). */
  onGirderRequest?: (event: GirderRequestEvent) => void;
  /** Run id (container labels). @default a random UUID */
  runId?: string;
  /** Worker id (container labels; orphans are found by it). @default GW_WORKER_ID, else `<hostname>-<pid>` */
  workerId?: string;
  /** Grace between stop and kill when cancelled. @default 10000 */
  stopGraceMs?: number;
  /**
   * Deployment defaults beneath the spec's create options and volumes.
   * @default environmentDefaults(process.env) (girder_worker's GIRDER_WORKER_DOCKER_RUN_OPTIONS)
   */
  defaults?: RunDefaults;
  /** The worker policy the run must keep to (see `parseRunPolicy`). @default none */
  policy?: RunPolicy;
  /** Registry credentials for the pull (never part of a spec). @default the host's Docker config */
  registryAuth?: RegistryCredentials;
}

/**
 * Runs one spec in this process with `dockerRun` (the embedded default: no broker). When the spec
 * names a Girder, the run gets a Girder client (service `girder`); when it names a Girder job, a
 * JobManager keeps the job in step (RUNNING → SUCCESS/ERROR/CANCELED, log lines, progress, cancel
 * from Girder) and also gets the container's output.
 *
 * @param spec - a spec from {@link loadRunSpec}
 * @param options - signal, reporter, logger, Docker client, Girder token, ids
 * @returns dockerRun's result (exit code 0, container id, result-hook values)
 * @throws `DockerRunError` when the container exits non-zero; the signal's reason when cancelled
 * @example
 * ```ts
 * const spec = loadRunSpec(JSON.parse(await readFile('spec.json', 'utf8')), { baseDir: '.' });
 * const { containerId, results } = await executeRun(spec, { signal: AbortSignal.timeout(60_000) });
 * ```
 */
export async function executeRun(spec: RunSpec, options: ExecuteOptions = {}): Promise<DockerRunResult> {
  const logger = options.logger ?? silentLogger;
  const defaults = options.defaults ?? environmentDefaults(process.env);
  let services = new Services();
  let client: GirderClient | undefined;
  if (spec.girder) {
    // Loaded only for a run that talks to a Girder: most runs do not, and they start sooner.
    const { GirderClient } = await import('@girder-worker/girder-client');
    client = new GirderClient({
      ...(options.onGirderRequest ? { onRequest: options.onGirderRequest } : {}),
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
      defaults,
      ...(options.policy ? { policy: options.policy } : {}),
      registryAuth: options.registryAuth ?? dockerConfigCredentials(),
      ...(signal ? { signal } : {}),
      ...(reporter ? { reporter } : {}),
      ...(options.docker ? { docker: options.docker } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.runId ? { runId: options.runId } : {}),
      ...(options.workerId ? { workerId: options.workerId } : {}),
      ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
    });
  if (!client || !spec.girder?.jobId) return run(options.signal, options.reporter);
  const { JobManager } = await import('@girder-worker/girder');
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
