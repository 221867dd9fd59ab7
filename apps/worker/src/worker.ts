import { hostname } from 'node:os';
import {
  type DockerRunEvent,
  dockerFromEnv,
  isDockerRunError,
  isImageNotFoundError,
  reapOrphans,
} from '@girder-worker/docker';
import { isJobCanceledError } from '@girder-worker/girder';
import {
  isSpecValidationError,
  type Logger,
  SpecValidationError,
  silentLogger,
} from '@girder-worker/transforms';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { CANCELLED_PREFIX } from './client.ts';
import { BadInputError } from './errors.ts';
import { executeRun } from './execute.ts';
import {
  cancelChannel,
  cancelKey,
  connectionOf,
  isCancelledReason,
  normalizeConnection,
  type QueueConnection,
  type RunJobData,
  type RunJobResult,
} from './queue-common.ts';
import { loadRunSpec, parseGirderInfo, type RunSpec } from './spec.ts';

/** Options of {@link createWorker}. */
export interface WorkerOptions extends QueueConnection {
  /**
   * Runs at once on this worker.
   * @default 1
   */
  concurrency?: number;
  /**
   * Worker id: container labels and the `worker` of results. Must be unique among live workers.
   * @default `<hostname>-<pid>`
   */
  workerId?: string;
  /** @default silent */
  logger?: Logger;
  /** Docker client. @default from the environment (DOCKER_HOST or the local socket) */
  docker?: Docker;
  /**
   * How long a run's lock lasts without renewal; the run of a dead worker is retried by another
   * after it (at most `attempts` tries in all, set at submit).
   * @default 30000
   */
  lockDurationMs?: number;
  /**
   * How often stalled runs (lock expired) are looked for.
   * @default lockDurationMs / 2, at least 1000
   */
  stalledIntervalMs?: number;
  /**
   * How often containers of dead workers are reaped (also once at start). 0 disables the timer.
   * @default 60000
   */
  reapIntervalMs?: number;
  /**
   * Grace between stop and kill when a run is cancelled, in milliseconds.
   * @default 10000
   */
  stopGraceMs?: number;
  /** Called with each container output line of each run (`source` is `stdout` or `stderr`). */
  onLine?: (runId: string, line: string, source: string | undefined) => void;
  /** Called on what the worker's runs do (container started and exited, stream bytes) and on reaping. */
  onEvent?: (event: WorkerEvent) => void;
  /**
   * Container output lines kept in each run's queue log (shown by the dashboard); 0 keeps none.
   * @default 200
   */
  logLinesPerRun?: number;
}

/** How one attempt of a run ended on this worker. */
export type RunAttemptOutcome = 'succeeded' | 'failed' | 'cancelled';

/** What a worker reports through `onEvent`. */
export type WorkerEvent =
  /** The worker took a run; `waitedMs` (time in the queue) only on its first attempt. */
  | { type: 'taken'; runId: string; image: string; waitedMs?: number }
  /** An attempt of a run ended. */
  | { type: 'settled'; runId: string; image: string; outcome: RunAttemptOutcome; durationMs: number }
  /** What the run's container did (created, started, exited, stream bytes, cancelled). */
  | { type: 'run'; runId: string; event: DockerRunEvent }
  /** A run of a dead worker was put back to be taken again. */
  | { type: 'stalled'; runId: string }
  /** Containers of dead workers were removed. */
  | { type: 'reaped'; count: number };

/** The image a run's data names (for labels), without validating the spec. */
function imageOf(data: RunJobData | undefined): string {
  const spec = data?.spec as { image?: unknown } | undefined;
  return typeof spec?.image === 'string' ? spec.image : 'unknown';
}

/** Reports a run attempt through `onEvent`: taken, then settled with its outcome and duration. */
async function observed<T>(
  job: Job<RunJobData, RunJobResult>,
  onEvent: ((event: WorkerEvent) => void) | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  if (!onEvent) return attempt();
  const runId = job.id as string;
  const image = imageOf(job.data);
  const takenAt = Date.now();
  onEvent({
    type: 'taken',
    runId,
    image,
    ...(job.attemptsMade === 0 ? { waitedMs: Math.max(0, takenAt - job.timestamp) } : {}),
  });
  const settle = (outcome: RunAttemptOutcome): void =>
    onEvent({ type: 'settled', runId, image, outcome, durationMs: Date.now() - takenAt });
  try {
    const value = await attempt();
    settle('succeeded');
    return value;
  } catch (error) {
    settle(isCancelledReason((error as Error | undefined)?.message) ? 'cancelled' : 'failed');
    throw error;
  }
}

interface NormalizedWorkerOptions {
  redisUrl: string;
  queue: string;
  concurrency: number;
  workerId: string;
  logger: Logger;
  lockDurationMs: number;
  stalledIntervalMs: number;
  reapIntervalMs: number;
  stopGraceMs: number | undefined;
}

function positiveInteger(field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new BadInputError(field, `expected an integer >= ${min}, got ${String(value)}`);
  return value;
}

function normalizeWorkerOptions(options: WorkerOptions): NormalizedWorkerOptions {
  const { redisUrl, queue } = normalizeConnection(options);
  const lockDurationMs = positiveInteger('lockDurationMs', options.lockDurationMs ?? 30_000, 1000);
  const workerId = options.workerId ?? `${hostname()}-${process.pid}`;
  if (typeof workerId !== 'string' || workerId === '')
    throw new BadInputError('workerId', 'expected a non-empty string');
  return {
    redisUrl,
    queue,
    workerId,
    concurrency: positiveInteger('concurrency', options.concurrency ?? 1, 1),
    logger: options.logger ?? silentLogger,
    lockDurationMs,
    stalledIntervalMs: positiveInteger(
      'stalledIntervalMs',
      options.stalledIntervalMs ?? Math.max(1000, Math.floor(lockDurationMs / 2)),
      100,
    ),
    reapIntervalMs: positiveInteger('reapIntervalMs', options.reapIntervalMs ?? 60_000, 0),
    stopGraceMs:
      options.stopGraceMs === undefined ? undefined : positiveInteger('stopGraceMs', options.stopGraceMs, 0),
  };
}

/** A running worker. */
export interface RunWorker extends AsyncDisposable {
  /** The worker id (container labels, results). */
  readonly id: string;
  /**
   * Stops taking runs; with `cancel`, aborts the running ones (they fail as cancelled), else waits
   * for them to finish. Idempotent.
   */
  close(options?: { cancel?: boolean }): Promise<void>;
  /** The underlying BullMQ worker (events: `completed`, `failed`, …). */
  readonly bullmq: Worker<RunJobData, RunJobResult>;
}

/** The spec of a queued run, with the job data's Girder job (if any) put in. */
function specOf(data: RunJobData): { spec: RunSpec; girderToken: string | undefined } {
  const spec = loadRunSpec(data.spec);
  if (!data.girderJob) return { spec, girderToken: data.girderToken };
  const { apiUrl, jobId, token } = data.girderJob;
  const girder = parseGirderInfo({ apiUrl, jobId }, 'girderJob');
  if (girder.jobId === undefined) throw new SpecValidationError('girderJob.jobId', 'a Girder job id', jobId);
  return { spec: { ...spec, girder }, girderToken: token };
}

/**
 * Starts a worker that takes runs from the queue and runs them with `dockerRun`. It reaps
 * orphaned containers of dead workers at start and then every `reapIntervalMs`, takes over runs of
 * dead workers (BullMQ's stalled-job handling), listens for cancel requests, and keeps a run's
 * Girder job in step when the run carries one.
 *
 * @param options - connection, concurrency, timings
 * @returns the running worker; `close()` it (or `await using`)
 * @throws {@link BadInputError} naming the option
 * @example
 * ```ts
 * await using worker = await createWorker({ redisUrl: 'redis://127.0.0.1:6379', concurrency: 2 });
 * process.once('SIGTERM', () => void worker.close());
 * ```
 */
export async function createWorker(options: WorkerOptions): Promise<RunWorker> {
  const o = normalizeWorkerOptions(options);
  const { logger, queue: name, workerId: id } = o;
  const docker = options.docker ?? dockerFromEnv();
  const reap = async (): Promise<void> => {
    try {
      const removed = await reapOrphans({ docker, logger });
      if (removed.length > 0) {
        logger.info('reaped orphaned containers', { count: removed.length });
        options.onEvent?.({ type: 'reaped', count: removed.length });
      }
    } catch (error) {
      logger.warn('could not reap orphaned containers', { error: String(error) });
    }
  };
  await reap();
  const commands = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  const subscriber = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  for (const client of [commands, subscriber])
    client.on('error', (error) => logger.warn('redis connection error', { error: error.message }));
  // Listen for cancel requests before taking any run, so that none can be missed.
  let worker: Worker<RunJobData, RunJobResult> | undefined;
  subscriber.on('message', (_channel, jobId: string) => {
    if (worker?.cancelJob(jobId, 'cancelled by request')) logger.info('run cancelled', { runId: jobId });
  });
  await subscriber.subscribe(cancelChannel(name));
  worker = new Worker<RunJobData, RunJobResult>(
    name,
    (job, _token, signal) =>
      observed(job, options.onEvent, async () => {
        let run: ReturnType<typeof specOf>;
        try {
          run = specOf(job.data);
        } catch (error) {
          if (isSpecValidationError(error)) throw new UnrecoverableError(error.message);
          throw error;
        }
        if (await commands.exists(cancelKey(name, job.id as string)))
          throw new UnrecoverableError(`${CANCELLED_PREFIX}cancelled by request before it started`);
        logger.info('run started', {
          runId: job.id,
          image: run.spec.options.image,
          attempt: job.attemptsMade + 1,
        });
        const runId = job.id as string;
        const keepLines = options.logLinesPerRun ?? 200;
        let logged = 0;
        const queueLog = (line: string): void => {
          if (logged > keepLines) return;
          logged += 1;
          void job
            .log(logged > keepLines ? `… (more output; the first ${keepLines} lines are kept)` : line)
            .catch(() => {});
        };
        try {
          const result = await executeRun(run.spec, {
            onEvent: (event) => {
              if (event.type === 'created')
                void job
                  .log(`container ${event.containerId.slice(0, 12)} created on worker ${id}`)
                  .catch(() => {});
              else if (event.type === 'exited')
                void job.log(`container exited with code ${event.exitCode}`).catch(() => {});
              options.onEvent?.({ type: 'run', runId, event });
            },
            ...(signal ? { signal } : {}),
            logger,
            docker,
            workerId: id,
            ...(o.stopGraceMs === undefined ? {} : { stopGraceMs: o.stopGraceMs }),
            runId: `${name}:${job.id}`,
            ...(run.girderToken ? { girderToken: run.girderToken } : {}),
            reporter: {
              log: (line, source) => {
                if (keepLines > 0) queueLog(line);
                options.onLine?.(runId, line, source);
              },
              progress: (progress) => void job.updateProgress({ ...progress }).catch(() => {}),
            },
          });
          logger.info('run finished', { runId: job.id });
          return {
            exitCode: result.exitCode,
            containerId: result.containerId,
            results: result.results,
            worker: id,
          };
        } catch (error) {
          if (signal?.aborted) throw new UnrecoverableError(`${CANCELLED_PREFIX}${String(signal.reason)}`);
          if (isJobCanceledError(error))
            throw new UnrecoverableError(`${CANCELLED_PREFIX}the Girder job was canceled`);
          // A failed container (or a missing image, a bad spec) is the run's answer: no retry. Other
          // failures (engine, Girder, network) are tried again, up to the run's attempts.
          if (isDockerRunError(error) || isImageNotFoundError(error) || isSpecValidationError(error))
            throw new UnrecoverableError((error as Error).message);
          throw error;
        }
      }),
    {
      connection: connectionOf(o.redisUrl),
      name: id,
      concurrency: o.concurrency,
      lockDuration: o.lockDurationMs,
      stalledInterval: o.stalledIntervalMs,
      maxStalledCount: 2,
    },
  );
  worker.on('failed', (job, error) => logger.warn('run failed', { runId: job?.id, error: error.message }));
  worker.on('error', (error) => logger.warn('worker error', { error: error.message }));
  worker.on('stalled', (runId) => {
    logger.warn('run of a dead worker put back', { runId });
    options.onEvent?.({ type: 'stalled', runId });
  });
  const reapTimer = o.reapIntervalMs > 0 ? setInterval(() => void reap(), o.reapIntervalMs) : undefined;
  reapTimer?.unref();
  await worker.waitUntilReady();
  let closed: Promise<void> | undefined;
  const close = (closeOptions: { cancel?: boolean } = {}): Promise<void> => {
    closed ??= (async () => {
      clearInterval(reapTimer);
      if (closeOptions.cancel) worker.cancelAllJobs('worker shutting down');
      const errors: unknown[] = [];
      await worker.close().catch((error: unknown) => errors.push(error));
      subscriber.disconnect();
      commands.disconnect();
      if (errors.length > 0) throw errors[0];
    })();
    return closed;
  };
  return { id, bullmq: worker, close, [Symbol.asyncDispose]: () => close() };
}
