import { hostname } from 'node:os';
import {
  type DockerRunEvent,
  dockerFromEnv,
  type RegistryCredentials,
  type RunPolicy,
  reapOrphans,
} from '@girder-worker/docker';
import { type Logger, redactingLogger, SecretRegistry, silentLogger } from '@girder-worker/transforms';
import { type Job, Worker } from 'bullmq';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { BadInputError } from './errors.ts';
import { processRun, type RunContext } from './process-run.ts';
import {
  cancelChannel,
  connectionOf,
  isCancelledReason,
  normalizeConnection,
  type QueueConnection,
  type RunJobData,
  type RunJobResult,
} from './queue-common.ts';
import { type RedisConnectionWatch, watchRedisConnection } from './redis-connection-watch.ts';

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
  /**
   * What queued specs may do (images, host paths, Engine options, limits; see `parseRunPolicy`).
   * A run outside it fails as bad input before any container starts.
   * @default none: anyone who can write to the queue can run any container
   */
  policy?: RunPolicy;
  /** Registry credentials for pulls. @default the worker host's Docker config (`~/.docker/config.json`) */
  registryAuth?: RegistryCredentials;
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
  | { type: 'reaped'; count: number }
  /** A run's Girder request was answered (`kind: 'answer'`) or is retried (`kind: 'retry'`). */
  | { type: 'girder'; runId: string; method: string; status: number | 'network'; kind: 'answer' | 'retry' };

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

/** The worker options checked, with their defaults filled in. */
export interface NormalizedWorkerOptions {
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
  const secrets = options.secrets ?? new SecretRegistry();
  secrets.addUrlCredentials(o.redisUrl);
  const logger = redactingLogger(o.logger, secrets);
  const docker = options.docker ?? dockerFromEnv();
  const reap = orphanReaper(docker, logger, options.onEvent);
  await reap();
  const watch = watchRedisConnection(logger, secrets.redact(o.redisUrl));
  const commands = watchedRedis(o.redisUrl, watch);
  const subscriber = watchedRedis(o.redisUrl, watch);
  // Listen for cancel requests before taking any run, so that none can be missed.
  let worker: Worker<RunJobData, RunJobResult> | undefined;
  await listenForCancels(subscriber, o.queue, (runId) => {
    if (worker?.cancelJob(runId, 'cancelled by request')) logger.info('run cancelled', { runId });
  });
  const context = runContextOf(o, options, { logger, docker, secrets, commands });
  worker = startBullWorker(context, watch);
  const reapTimer = o.reapIntervalMs > 0 ? setInterval(() => void reap(), o.reapIntervalMs) : undefined;
  reapTimer?.unref();
  await worker.waitUntilReady();
  const close = closerOf(worker, reapTimer, [subscriber, commands]);
  return { id: o.workerId, bullmq: worker, close, [Symbol.asyncDispose]: () => close() };
}

/** Removes the containers of dead workers when called; logs (never throws) if it cannot. */
function orphanReaper(
  docker: Docker,
  logger: Logger,
  onEvent: WorkerOptions['onEvent'],
): () => Promise<void> {
  return async () => {
    try {
      const removed = await reapOrphans({ docker, logger });
      if (removed.length > 0) {
        logger.info('reaped orphaned containers', { count: removed.length });
        onEvent?.({ type: 'reaped', count: removed.length });
      }
    } catch (error) {
      logger.warn('could not reap orphaned containers', { error: String(error) });
    }
  };
}

/** A Redis client that reports its errors and readiness to the watch. */
function watchedRedis(redisUrl: string, watch: RedisConnectionWatch): Redis {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: null });
  client.on('error', (error: Error) => watch.error(error, 'redis'));
  client.on('ready', () => watch.ready());
  return client;
}

/** Subscribes to the queue's cancel requests; `cancel` gets the id of each run to cancel. */
async function listenForCancels(
  subscriber: Redis,
  queue: string,
  cancel: (runId: string) => void,
): Promise<void> {
  subscriber.on('message', (_channel, runId: string) => cancel(runId));
  await subscriber.subscribe(cancelChannel(queue));
}

/** What {@link processRun} needs, from the normalized options, the caller's and what the worker made. */
function runContextOf(
  o: NormalizedWorkerOptions,
  options: WorkerOptions,
  made: Pick<RunContext, 'logger' | 'docker' | 'secrets' | 'commands'>,
): RunContext {
  return {
    ...o,
    ...made,
    onLine: options.onLine,
    onEvent: options.onEvent,
    logLinesPerRun: options.logLinesPerRun ?? 200,
    policy: options.policy,
    registryAuth: options.registryAuth,
  };
}

/**
 * The BullMQ worker that takes the queue's runs (each one observed, then processed), with its
 * failures, errors and stalled runs logged.
 */
function startBullWorker(context: RunContext, watch: RedisConnectionWatch): Worker<RunJobData, RunJobResult> {
  const { logger, onEvent } = context;
  const worker = new Worker<RunJobData, RunJobResult>(
    context.queue,
    (job, _token, signal) => observed(job, onEvent, () => processRun(job, signal, context)),
    {
      connection: connectionOf(context.redisUrl),
      name: context.workerId,
      concurrency: context.concurrency,
      lockDuration: context.lockDurationMs,
      stalledInterval: context.stalledIntervalMs,
      maxStalledCount: 2,
    },
  );
  worker.on('failed', (job, error) => logger.warn('run failed', { runId: job?.id, error: error.message }));
  worker.on('error', (error) => watch.error(error, 'worker'));
  worker.on('stalled', (runId) => {
    logger.warn('run of a dead worker put back', { runId });
    onEvent?.({ type: 'stalled', runId });
  });
  return worker;
}

/**
 * The worker's `close`: stops reaping and taking runs (cancelling the running ones if asked),
 * then disconnects the Redis clients. Memoized: later calls get the first call's promise.
 */
function closerOf(
  worker: Worker<RunJobData, RunJobResult>,
  reapTimer: NodeJS.Timeout | undefined,
  clients: Redis[],
): RunWorker['close'] {
  let closed: Promise<void> | undefined;
  return (closeOptions = {}) => {
    closed ??= (async () => {
      clearInterval(reapTimer);
      if (closeOptions.cancel) worker.cancelAllJobs('worker shutting down');
      const errors: unknown[] = [];
      await worker.close().catch((error: unknown) => errors.push(error));
      for (const client of clients) client.disconnect();
      if (errors.length > 0) throw errors[0];
    })();
    return closed;
  };
}
