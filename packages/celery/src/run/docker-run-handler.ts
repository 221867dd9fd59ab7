import { type DockerRunOptions, dockerFromEnv, dockerRun, ImageNotFoundError } from '@girder-worker/docker';
import { isFinalJobStatus, JobStatus } from '@girder-worker/girder';
import { GirderClient } from '@girder-worker/girder-client';
import { type Logger, Services, silentLogger } from '@girder-worker/transforms';
import { isPyDict } from '../jsonpickle/nodes.ts';
import { type MappedDockerRunTask, mapDockerRun } from '../mapping/map-docker-run.ts';
import type { GirderClientSpec } from '../mapping/map-value.ts';
import { CeleryProtocolError } from '../protocol/errors.ts';
import { type CeleryTask, parseCeleryTask, readJobInfoSpec } from '../protocol/parse-message.ts';
import type { RawCeleryMessage, TaskContext, TaskHandler, TaskOutcome } from '../task.ts';
import { cancel, fail, type TaskRun } from './end-task.ts';
import { isTaskTimeLimitError } from './errors.ts';
import { JobLogSink, type LogWriter } from './job-log-sink.ts';
import { reporterFor, stdStreamConnectors } from './job-output.ts';
import { JobInfoReporter } from './job-reporter.ts';
import { loggerWriter } from './logger-writer.ts';
import { timeLimit, waitUntil } from './task-timing.ts';

/** The Celery task this handler runs. */
const DOCKER_RUN = 'girder_worker.docker.tasks.docker_run';

/** Options of {@link createDockerRunHandler}. */
export interface DockerRunHandlerOptions {
  /** The Docker client. @default dockerFromEnv() */
  docker?: DockerRunOptions['docker'];
  /** The worker's own log (never receives environment values or tokens). @default silent */
  logger?: Logger;
  /** Worker id label on every container. @default dockerRun's default */
  workerId?: string;
  /** Host directory for the runs' temporary volumes. @default os.tmpdir() */
  temporaryVolumeRoot?: string;
  /**
   * `GIRDER_WORKER_DOCKER_RUN_OPTIONS` (docker-py keyword arguments as JSON), passed in by the
   * app: the library never reads `process.env`.
   */
  dockerRunOptionsJson?: string;
  /** Grace period between stop and kill on cancel, in milliseconds. @default 10000 */
  stopGraceMs?: number;
  /**
   * Registry credentials for pulls (e.g. `dockerConfigCredentials()`: the worker host's Docker
   * config). Never part of a message. @default anonymous pulls
   */
  registryAuth?: DockerRunOptions['registryAuth'];
  /** How often the Girder job is read to notice CANCELING. @default 2000 */
  cancelPollIntervalMs?: number;
  /** Job log and progress are sent at most this often. @default 500 */
  logFlushIntervalMs?: number;
  /** Makes a Girder client (for `girder_api_url` + `girder_client_token` and each pickled `gc`). */
  createGirderClient?: (spec: GirderClientSpec) => GirderClient;
  /** The fetch used for job updates. @default globalThis.fetch */
  fetch?: typeof fetch;
}

function defaultClient(spec: GirderClientSpec): GirderClient {
  return new GirderClient({ apiUrl: spec.apiUrl, ...(spec.token ? { token: spec.token } : {}) });
}

/** Whether the engine has `image` (a 404 is no; any other failure is thrown). */
async function imagePresent(
  docker: NonNullable<DockerRunOptions['docker']>,
  image: string,
): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/**
 * Refuses what this handler would otherwise silently drop: another task, Celery links
 * (callbacks, errbacks, chain, chord) and Girder client session settings.
 */
function checkSupported(task: CeleryTask, message: RawCeleryMessage): void {
  if (task.task !== DOCKER_RUN) {
    throw new CeleryProtocolError('headers.task', `this handler runs ${DOCKER_RUN}, not ${task.task}`);
  }
  if (isPyDict(task.embed)) {
    for (const [key, value] of Object.entries(task.embed)) {
      if (value !== null && !(Array.isArray(value) && value.length === 0)) {
        throw new CeleryProtocolError(`body[2].${key}`, `Celery ${key} are not supported by this worker`);
      }
    }
  }
  const session = message.headers.girder_client_session_kwargs;
  if (session && typeof session === 'object' && Object.keys(session).length > 0) {
    throw new CeleryProtocolError(
      'headers.girder_client_session_kwargs',
      `requests.Session settings (${Object.keys(session).join(', ')}) are not supported by this worker`,
    );
  }
}

/**
 * Creates the {@link TaskHandler} for girder_worker's `docker_run`: decodes the message, maps it
 * (explicit tables only), runs it with `dockerRun` and reports to the Girder job of its
 * `jobInfoSpec` as girder_worker does: RUNNING, the container's output as the job log (byte for
 * byte), progress, then SUCCESS, ERROR (with Python's text) or CANCELED. A revoke (the context's
 * signal) or the job turning CANCELING stops the container; the `timelimit` header bounds the
 * run; a redelivered message whose job is already final is skipped. Never throws for a task's
 * own failure.
 * @param options - Docker client, logger, worker id, temp root, docker-py defaults…
 * @returns the handler
 * @example
 * ```ts
 * const handler = createDockerRunHandler({ logger, workerId: 'worker-1' });
 * const outcome = await handler(message, { taskId, signal });
 * ```
 */
export function createDockerRunHandler(options: DockerRunHandlerOptions = {}): TaskHandler {
  const logger = options.logger ?? silentLogger;
  const makeClient = options.createGirderClient ?? defaultClient;
  return async (message: RawCeleryMessage, context: TaskContext): Promise<TaskOutcome> => {
    let spec: ReturnType<typeof readJobInfoSpec>;
    try {
      spec = readJobInfoSpec(message);
    } catch (error) {
      return fail({ job: undefined, context }, error, logger);
    }
    const job = spec
      ? new JobInfoReporter({
          spec,
          logger,
          ...(options.logFlushIntervalMs === undefined
            ? {}
            : { flushIntervalMs: options.logFlushIntervalMs }),
          ...(options.fetch ? { fetch: options.fetch } : {}),
        })
      : undefined;
    try {
      return await handle(message, context, job);
    } finally {
      await job?.close();
    }
  };

  async function handle(
    message: RawCeleryMessage,
    context: TaskContext,
    job: JobInfoReporter | undefined,
  ): Promise<TaskOutcome> {
    const run: TaskRun = { job, context };
    const redelivered = message.properties.redelivered === true || message.headers.redelivered === true;
    if (job && redelivered) {
      const status = await job.getStatus().catch(() => undefined);
      if (status !== undefined && isFinalJobStatus(status)) {
        logger.info('skipping a redelivered task whose Girder job is over', {
          taskId: context.taskId,
          status,
        });
        return { status: 'SKIPPED', reason: `the Girder job is already final (status ${status})` };
      }
    }
    if (context.signal.aborted) return cancel(run, logger);
    let decoded: { task: CeleryTask; mapped: MappedDockerRunTask };
    try {
      decoded = decode(message, context, job);
    } catch (error) {
      return fail(run, error, logger);
    }
    const { task, mapped } = decoded;
    if (task.expires && task.expires.getTime() <= Date.now()) {
      logger.info('the task expired before it started', { taskId: context.taskId });
      return cancel(run, logger);
    }
    if (task.eta && !(await waitUntil(task.eta, context.signal))) return cancel(run, logger);
    if (job) {
      const status = await job.setStatus(JobStatus.RUNNING).catch((error: unknown) => error);
      if (status === JobStatus.CANCELING || status === JobStatus.CANCELED) return cancel(run, logger);
      if (typeof status !== 'number') {
        logger.warn('could not set the Girder job to RUNNING', {
          taskId: context.taskId,
          error: String(status),
        });
      }
    }
    return execute(run, task, mapped);
  }

  /** Parses and maps a message (nothing runs yet). */
  function decode(
    message: RawCeleryMessage,
    context: TaskContext,
    job: JobInfoReporter | undefined,
  ): { task: CeleryTask; mapped: MappedDockerRunTask } {
    // In a job with logPrint the host's stdout is the job log (as in Python); else the worker's log.
    const hostLog = (source: string): LogWriter =>
      job?.logPrint ? job : loggerWriter(logger, { taskId: context.taskId, source });
    const task = parseCeleryTask(message);
    checkSupported(task, message);
    const mapped = mapDockerRun(
      { args: task.args, kwargs: task.kwargs, hooks: task.girderResultHooks },
      {
        girderClient: makeClient,
        hostStdOut: () => new JobLogSink(hostLog('HostStdOut'), 'HostStdOut'),
        hostStdErr: () => new JobLogSink(hostLog('HostStdErr'), 'HostStdErr'),
        ...(options.dockerRunOptionsJson ? { dockerRunOptionsJson: options.dockerRunOptionsJson } : {}),
      },
    );
    return { task, mapped };
  }

  /** The `dockerRun` options of a mapped task (everything but signal, client, logger, reporter). */
  function runOptions(task: CeleryTask, mapped: MappedDockerRunTask & { image: string }, run: TaskRun) {
    const { job } = run;
    return {
      image: mapped.image,
      ...(mapped.pullImage === undefined ? {} : { pullImage: mapped.pullImage }),
      ...(mapped.entrypoint ? { entrypoint: mapped.entrypoint } : {}),
      containerArgs: mapped.containerArgs ?? [],
      volumes: mapped.volumes,
      environment: mapped.environment ?? {},
      ...(mapped.workingDir ? { workingDir: mapped.workingDir } : {}),
      ...(mapped.user ? { user: mapped.user } : {}),
      ...(mapped.removeContainer === undefined ? {} : { removeContainer: mapped.removeContainer }),
      streamConnectors: [...(mapped.streamConnectors ?? []), ...stdStreamConnectors(mapped, job)],
      resultHooks: mapped.resultHooks,
      createOptions: mapped.createOptions,
      services: new Services({
        ...(task.girderApiUrl
          ? { girder: makeClient({ apiUrl: task.girderApiUrl, token: task.girderClientToken }) }
          : {}),
        ...(job ? { girderJob: { jobId: job.jobId } } : {}),
      }),
      runId: task.id,
      ...(options.workerId ? { workerId: options.workerId } : {}),
      ...(options.temporaryVolumeRoot ? { temporaryVolumeRoot: options.temporaryVolumeRoot } : {}),
      ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
      ...(options.registryAuth ? { registryAuth: options.registryAuth } : {}),
    } satisfies Partial<DockerRunOptions>;
  }

  async function execute(run: TaskRun, task: CeleryTask, mapped: MappedDockerRunTask): Promise<TaskOutcome> {
    const { job, context } = run;
    const docker = options.docker ?? dockerFromEnv();
    const limit = timeLimit(task);
    const cancelSignal = job ? job.watchCancel(options.cancelPollIntervalMs ?? 2000) : undefined;
    const signals = [context.signal, cancelSignal, limit.signal].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = AbortSignal.any(signals);
    try {
      const image = mapped.image;
      if (!image) throw new CeleryProtocolError('args[0]', 'docker_run needs an image');
      if (
        (mapped.pullImage === false || mapped.pullImage === 'never') &&
        !(await imagePresent(docker, image))
      ) {
        throw new ImageNotFoundError(
          image,
          'is not present on this worker and pull_image is False: build or pull it on the worker host first',
        );
      }
      logger.info('running docker_run', {
        taskId: task.id,
        image: mapped.image,
        environment: Object.keys(mapped.environment ?? {}),
      });
      const result = await dockerRun({
        ...runOptions(task, { ...mapped, image }, run),
        signal,
        docker,
        logger,
        reporter: reporterFor(run, logger),
      });
      // The run succeeded: a failed status update is logged, it does not turn the task into a failure.
      const status = await job?.setStatus(JobStatus.SUCCESS).catch((error: unknown) => {
        logger.warn('could not set the Girder job to SUCCESS', { taskId: task.id, error: String(error) });
      });
      if (status === JobStatus.CANCELED) return { status: 'REVOKED' };
      return { status: 'SUCCESS', result: result.results };
    } catch (error) {
      if (limit.signal?.aborted) return fail(run, limit.signal.reason, logger);
      // The worker's own time limit aborts the signal too: that is a failure, not a cancel.
      if (signal.aborted)
        return isTaskTimeLimitError(signal.reason) ? fail(run, signal.reason, logger) : cancel(run, logger);
      return fail(run, error, logger);
    } finally {
      limit.clear();
    }
  }
}
