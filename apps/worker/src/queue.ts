import { hostname } from 'node:os';
import { type DockerRunResult, dockerFromEnv, reapOrphans } from '@girder-worker/docker';
import { isSpecValidationError, type Logger, silentLogger } from '@girder-worker/transforms';
import { type ConnectionOptions, Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { executeRun } from './execute.ts';
import { loadRunSpec } from './spec.ts';

/** Default queue name. */
export const DEFAULT_QUEUE = 'girder-worker';

/** What a queued run carries. The token is data for the worker, never logged. */
export interface RunJobData {
  /** The run spec as JSON (host paths already absolute). */
  spec: unknown;
  /** The Girder token for the spec's `girder`, if any. */
  girderToken?: string;
}

/** What a finished queued run returns. */
export interface RunJobResult {
  exitCode: number;
  containerId: string;
  results: unknown[];
  worker: string;
}

/** Options shared by queue clients. */
export interface QueueConnection {
  /** Redis URL, e.g. redis://127.0.0.1:6379. */
  redisUrl: string;
  /** Queue name. @default 'girder-worker' */
  queue?: string;
}

function connection(redisUrl: string): ConnectionOptions {
  return { url: redisUrl, maxRetriesPerRequest: null } as ConnectionOptions;
}

function cancelChannel(queue: string): string {
  return `girder-worker:${queue}:cancel`;
}

/** Options of {@link submitRun}. */
export interface SubmitOptions extends QueueConnection {
  /** The run spec (JSON; validated before it is queued). */
  spec: unknown;
  /** Girder token for the run. */
  girderToken?: string;
  /**
   * How many times a run whose worker died is tried in all.
   * @default 3
   */
  attempts?: number;
}

/**
 * Validates a run spec and queues it. Any number of workers on any number of machines can take it.
 * @returns the job id
 * @throws {@link SpecValidationError} before anything is queued
 */
export async function submitRun(options: SubmitOptions): Promise<string> {
  loadRunSpec(options.spec);
  const queue = new Queue<RunJobData, RunJobResult>(options.queue ?? DEFAULT_QUEUE, {
    connection: connection(options.redisUrl),
  });
  try {
    const job = await queue.add(
      'run',
      { spec: options.spec, ...(options.girderToken ? { girderToken: options.girderToken } : {}) },
      { attempts: options.attempts ?? 3, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } },
    );
    return job.id as string;
  } finally {
    await queue.close();
  }
}

/** The state of a queued run. */
export interface RunStatus {
  id: string;
  state: string;
  attemptsMade: number;
  result?: RunJobResult;
  failedReason?: string;
}

/** The state of a queued run, or undefined when unknown. */
export async function getRunStatus(id: string, options: QueueConnection): Promise<RunStatus | undefined> {
  const queue = new Queue<RunJobData, RunJobResult>(options.queue ?? DEFAULT_QUEUE, {
    connection: connection(options.redisUrl),
  });
  try {
    const job = await Job.fromId<RunJobData, RunJobResult>(queue, id);
    if (!job) return undefined;
    return {
      id,
      state: await job.getState(),
      attemptsMade: job.attemptsMade,
      ...(job.returnvalue ? { result: job.returnvalue } : {}),
      ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    };
  } finally {
    await queue.close();
  }
}

/** Waits until a queued run has finished; returns its result or throws its failure. */
export async function waitForRun(
  id: string,
  options: QueueConnection & { timeoutMs?: number },
): Promise<RunJobResult> {
  const name = options.queue ?? DEFAULT_QUEUE;
  const queue = new Queue<RunJobData, RunJobResult>(name, { connection: connection(options.redisUrl) });
  const events = new QueueEvents(name, { connection: connection(options.redisUrl) });
  try {
    await events.waitUntilReady();
    const job = await Job.fromId<RunJobData, RunJobResult>(queue, id);
    if (!job) throw new Error(`no run with id ${id} in queue ${name}`);
    return await job.waitUntilFinished(events, options.timeoutMs);
  } finally {
    await events.close();
    await queue.close();
  }
}

/**
 * Cancels a run: a queued one is removed; a running one is aborted by its worker (its container
 * stopped and everything cleaned).
 * @returns what happened
 */
export async function cancelRun(
  id: string,
  options: QueueConnection,
): Promise<'removed' | 'signalled' | 'finished' | 'unknown'> {
  const name = options.queue ?? DEFAULT_QUEUE;
  const queue = new Queue(name, { connection: connection(options.redisUrl) });
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  try {
    const job = await Job.fromId(queue, id);
    if (!job) return 'unknown';
    const state = await job.getState();
    if (
      state === 'waiting' ||
      state === 'delayed' ||
      state === 'prioritized' ||
      state === 'waiting-children'
    ) {
      await job.remove();
      return 'removed';
    }
    if (state === 'completed' || state === 'failed') return 'finished';
    await redis.publish(cancelChannel(name), id);
    return 'signalled';
  } finally {
    redis.disconnect();
    await queue.close();
  }
}

/** Options of {@link createWorker}. */
export interface WorkerOptions extends QueueConnection {
  /** Runs at once on this worker. @default 1 */
  concurrency?: number;
  /** Worker id for container labels. @default `<hostname>-<pid>` */
  workerId?: string;
  /** @default silent */
  logger?: Logger;
  /** Docker client. @default from the environment */
  docker?: Docker;
  /** How long a run's lock lasts without renewal; a dead worker's run is retried after it. @default 30000 */
  lockDurationMs?: number;
  /** How often stalled runs are looked for. @default 30000 */
  stalledIntervalMs?: number;
  /** How often containers of dead workers are reaped (also at start). 0 disables. @default 60000 */
  reapIntervalMs?: number;
  /** Grace between stop and kill when a run is cancelled. @default 10000 */
  stopGraceMs?: number;
  /** Called with each container output line of each run. */
  onLine?: (runId: string, line: string, source: string | undefined) => void;
}

/** A running worker. */
export interface RunWorker extends AsyncDisposable {
  /** The worker id. */
  readonly id: string;
  /** Stops taking runs; with `cancel`, aborts the running ones, else waits for them. Idempotent. */
  close(options?: { cancel?: boolean }): Promise<void>;
  /** The BullMQ worker. */
  readonly bullmq: Worker<RunJobData, RunJobResult>;
}

/**
 * Starts a worker that takes runs from the queue and runs them with dockerRun. Reaps orphaned
 * containers of dead workers at start and then periodically; listens for cancel requests.
 */
export async function createWorker(options: WorkerOptions): Promise<RunWorker> {
  const name = options.queue ?? DEFAULT_QUEUE;
  const logger = options.logger ?? silentLogger;
  const id = options.workerId ?? `${hostname()}-${process.pid}`;
  const docker = options.docker ?? dockerFromEnv();
  const reap = async (): Promise<void> => {
    try {
      const removed = await reapOrphans({ docker, logger });
      if (removed.length > 0) logger.info('reaped orphaned containers', { count: removed.length });
    } catch (error) {
      logger.warn('could not reap orphaned containers', { error: String(error) });
    }
  };
  await reap();
  const worker = new Worker<RunJobData, RunJobResult>(
    name,
    async (job, _token, signal) => {
      let spec: ReturnType<typeof loadRunSpec>;
      try {
        spec = loadRunSpec(job.data.spec);
      } catch (error) {
        if (isSpecValidationError(error)) throw new UnrecoverableError(error.message);
        throw error;
      }
      logger.info('run started', { runId: job.id, image: spec.options.image });
      try {
        const result: DockerRunResult = await executeRun(spec, {
          ...(signal ? { signal } : {}),
          logger,
          docker,
          workerId: id,
          ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
          runId: `${name}:${job.id}`,
          ...(job.data.girderToken ? { girderToken: job.data.girderToken } : {}),
          reporter: {
            log: (line, source) => options.onLine?.(job.id as string, line, source),
            progress: (progress) => void job.updateProgress({ ...progress }).catch(() => {}),
          },
        });
        return { ...result, worker: id };
      } catch (error) {
        if (signal?.aborted) throw new UnrecoverableError(`cancelled: ${String(signal.reason)}`);
        throw error;
      }
    },
    {
      connection: connection(options.redisUrl),
      concurrency: options.concurrency ?? 1,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: 2,
    },
  );
  worker.on('failed', (job, error) => logger.warn('run failed', { runId: job?.id, error: error.message }));
  worker.on('error', (error) => logger.warn('worker error', { error: error.message }));
  const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  await subscriber.subscribe(cancelChannel(name));
  subscriber.on('message', (_channel, jobId: string) => {
    if (worker.cancelJob(jobId, 'cancelled by request')) logger.info('run cancelled', { runId: jobId });
  });
  const reapTimer =
    (options.reapIntervalMs ?? 60_000) > 0
      ? setInterval(() => void reap(), options.reapIntervalMs ?? 60_000)
      : undefined;
  reapTimer?.unref();
  await worker.waitUntilReady();
  let closed: Promise<void> | undefined;
  const close = (closeOptions: { cancel?: boolean } = {}): Promise<void> => {
    closed ??= (async () => {
      clearInterval(reapTimer);
      subscriber.disconnect();
      if (closeOptions.cancel) worker.cancelAllJobs('worker shutting down');
      await worker.close();
    })();
    return closed;
  };
  return { id, bullmq: worker, close, [Symbol.asyncDispose]: () => close() };
}
