import { isPlainObject, SecretRegistry } from '@girder-worker/transforms';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { BadInputError, RunCancelledError, RunFailedError, RunNotFoundError } from './errors.ts';
import {
  cancelChannel,
  cancelKey,
  connectionOf,
  decodeRunFailure,
  type GirderJobReference,
  normalizeConnection,
  type QueueConnection,
  type RunFailureCode,
  type RunJobData,
  type RunJobResult,
} from './queue-common.ts';
import { assertRedisReachable } from './redis-reachability.ts';
import { loadRunSpec } from './spec.ts';

/** A BullMQ queue on a Redis that answered; its connection errors are left to the calls that fail. */
async function openQueue(redisUrl: string, name: string): Promise<Queue<RunJobData, RunJobResult>> {
  await assertRedisReachable(redisUrl);
  const queue = new Queue<RunJobData, RunJobResult>(name, { connection: connectionOf(redisUrl) });
  queue.on('error', () => {});
  return queue;
}

/**
 * Masks, in what a client reads back from a run, the secrets the caller knows (`secrets`) and the
 * tokens still in the run's job data.
 */
function redactorFor(secrets: SecretRegistry | undefined, data: unknown): (text: string) => string {
  const local = new SecretRegistry();
  if (isPlainObject(data)) {
    if (typeof data.girderToken === 'string') local.add(data.girderToken);
    if (isPlainObject(data.girderJob) && typeof data.girderJob.token === 'string')
      local.add(data.girderJob.token);
  }
  return (text) => local.redact(secrets ? secrets.redact(text) : text);
}

/** Options of {@link submitRun}. */
export interface SubmitOptions extends QueueConnection {
  /** The run spec as JSON, host paths absolute (see `resolveSpecPaths`). Validated before it is queued. */
  spec: unknown;
  /** Girder token for the spec's `girder`; travels in the job data, never logged. */
  girderToken?: string;
  /** A Girder job to report to (status, log, progress, cancel); overrides the spec's `girder`. */
  girderJob?: GirderJobReference;
  /**
   * How many times a run is tried in all when its worker dies under it (stalled runs). A run whose
   * container fails is not retried.
   * @default 3
   */
  attempts?: number;
  /** Gives up before queueing. */
  signal?: AbortSignal;
}

/**
 * Validates a run spec and queues it. Any number of workers on any number of machines can take it.
 *
 * @param options - connection, spec, Girder token or job, attempts
 * @returns the run id (the BullMQ job id)
 * @throws `SpecValidationError` naming the field, before anything is queued
 * @throws {@link BadInputError} for a bad Redis URL, queue name or `attempts`
 * @throws {@link RedisUnavailableError} when Redis does not answer (within seconds)
 * @example
 * ```ts
 * const id = await submitRun({
 *   redisUrl: 'redis://127.0.0.1:6379',
 *   spec: { image: 'girder-worker-test/busybox:latest', pullImage: false, containerArgs: ['true'] },
 * });
 * const result = await waitForRun(id, { redisUrl: 'redis://127.0.0.1:6379' });
 * ```
 */
export async function submitRun(options: SubmitOptions): Promise<string> {
  const { redisUrl, queue: name } = normalizeConnection(options);
  const attempts = options.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100)
    throw new BadInputError('attempts', `expected an integer from 1 to 100, got ${attempts}`);
  loadRunSpec(options.spec);
  options.signal?.throwIfAborted();
  // A token travels only with a spec that names a Girder: nothing else could use it.
  const usesGirder = isPlainObject(options.spec) && options.spec.girder !== undefined;
  const queue = await openQueue(redisUrl, name);
  try {
    const data: RunJobData = {
      spec: options.spec,
      ...(options.girderToken && usesGirder ? { girderToken: options.girderToken } : {}),
      ...(options.girderJob ? { girderJob: options.girderJob } : {}),
    };
    const job = await queue.add('run', data, {
      attempts,
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 86_400 },
    });
    return job.id as string;
  } finally {
    await queue.close();
  }
}

/** The state of a queued run. */
export interface RunStatus {
  /** The run id. */
  id: string;
  /** BullMQ's state: `waiting`, `active`, `completed`, `failed`, `delayed`, … */
  state: string;
  /** Tries so far (a worker that died under the run counts one). */
  attemptsMade: number;
  /** Id of the worker that ran (or runs) it, once known. */
  worker?: string;
  /** Progress last reported by the run's `ProgressPipe`. */
  progress?: unknown;
  /** The result, once completed. */
  result?: RunJobResult;
  /** Why it failed, once failed. */
  failedReason?: string;
  /** The failure's code (`GW_RUN_CANCELLED`, `GW_BAD_INPUT`, `GW_RUN_FAILED`), once failed. */
  failureCode?: RunFailureCode;
}

/**
 * Reads the state of a queued run.
 * @param id - the run id from {@link submitRun}
 * @param options - connection
 * @returns its state, or undefined when no such run is in the queue
 */
export async function getRunStatus(id: string, options: QueueConnection): Promise<RunStatus | undefined> {
  const { redisUrl, queue: name } = normalizeConnection(options);
  const queue = await openQueue(redisUrl, name);
  try {
    const job = await Job.fromId<RunJobData, RunJobResult>(queue, id);
    if (!job) return undefined;
    const redact = redactorFor(options.secrets, job.data);
    const progress = job.progress;
    const status: RunStatus = {
      id,
      state: await job.getState(),
      attemptsMade: job.attemptsMade,
      ...(job.processedBy ? { worker: job.processedBy } : {}),
      ...(progress && typeof progress === 'object' ? { progress } : {}),
      ...(job.returnvalue ? { result: job.returnvalue } : {}),
      ...(job.failedReason ? failureOf(job.failedReason) : {}),
    };
    return JSON.parse(redact(JSON.stringify(status))) as RunStatus;
  } finally {
    await queue.close();
  }
}

function failureOf(reason: string): { failedReason: string; failureCode: RunFailureCode } {
  const { code, message } = decodeRunFailure(reason);
  return { failedReason: message, failureCode: code };
}

/** Options of {@link waitForRun}. */
export interface WaitOptions extends QueueConnection {
  /** Gives up after this long (rejects). @default no limit */
  timeoutMs?: number;
  /** Stops waiting (the run goes on). */
  signal?: AbortSignal;
}

/**
 * Waits until a queued run has finished.
 * @param id - the run id from {@link submitRun}
 * @param options - connection, timeout, signal
 * @returns its result
 * @throws {@link RunNotFoundError} when no such run is in the queue
 * @throws {@link RunCancelledError} when it was cancelled; {@link RunFailedError} when it failed
 */
export async function waitForRun(id: string, options: WaitOptions): Promise<RunJobResult> {
  const { redisUrl, queue: name } = normalizeConnection(options);
  options.signal?.throwIfAborted();
  const queue = await openQueue(redisUrl, name);
  const events = new QueueEvents(name, { connection: connectionOf(redisUrl) });
  events.on('error', () => {});
  let onAbort: (() => void) | undefined;
  try {
    await events.waitUntilReady();
    const job = await Job.fromId<RunJobData, RunJobResult>(queue, id);
    if (!job) throw new RunNotFoundError(id, name);
    const redact = redactorFor(options.secrets, job.data);
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([job.waitUntilFinished(events, options.timeoutMs), aborted]);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const { code, message } = decodeRunFailure(
        redact(error instanceof Error ? error.message : String(error)),
      );
      if (code === 'GW_RUN_CANCELLED') throw new RunCancelledError(message, { cause: error });
      throw new RunFailedError(id, message, { cause: error, failureCode: code });
    }
  } finally {
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    await events.close();
    await queue.close();
  }
}

/** What {@link cancelRun} did. */
export type CancelOutcome = 'removed' | 'signalled' | 'finished' | 'unknown';

/**
 * Cancels a run. A queued one is removed from the queue; a running one is aborted by the worker
 * that runs it (its container stopped, everything cleaned, the run failed as `GW_RUN_CANCELLED`,
 * not retried). A run taken by a worker at that very moment is caught by a cancel marker the worker
 * checks before it starts.
 *
 * @param id - the run id from {@link submitRun}
 * @param options - connection
 * @returns `removed` (was queued), `signalled` (was running), `finished` (too late), `unknown`
 */
export async function cancelRun(id: string, options: QueueConnection): Promise<CancelOutcome> {
  const { redisUrl, queue: name } = normalizeConnection(options);
  const queue = await openQueue(redisUrl, name);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  try {
    const job = await Job.fromId(queue, id);
    if (!job) return 'unknown';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'finished';
    await redis.set(cancelKey(name, id), '1', 'EX', 86_400);
    if (state !== 'active') {
      try {
        await job.remove();
        return 'removed';
      } catch {
        // Taken by a worker meanwhile (locked): signal it below.
      }
    }
    await redis.publish(cancelChannel(name), id);
    return 'signalled';
  } finally {
    redis.disconnect();
    await queue.close();
  }
}
