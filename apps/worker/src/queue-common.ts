import type { SecretRegistry } from '@girder-worker/transforms';
import type { ConnectionOptions } from 'bullmq';
import { BadInputError } from './errors.ts';

/** The queue name used when none is given. */
export const DEFAULT_QUEUE = 'girder-worker';

/** Where a queue lives. Shared by every queue client and the worker. */
export interface QueueConnection {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /**
   * Queue name; workers and submitters meet on it.
   * @default 'girder-worker'
   */
  queue?: string;
  /**
   * Secrets to mask in whatever comes back from or is written to the queue (failure reasons,
   * results, log lines). The tokens inside a run's own job data are masked in any case.
   * @default none
   */
  secrets?: SecretRegistry;
}

/**
 * A Girder job the run keeps in step with (status, log lines, progress, cancel). This is what a
 * Girder plugin puts into the job data; the token is job-scoped and never logged.
 */
export interface GirderJobReference {
  /** API root, e.g. `http://localhost:8080/api/v1`. */
  apiUrl: string;
  /** The Girder job id (24 hex digits). */
  jobId: string;
  /** A token allowed to update the job (and to read/write the run's Girder data). */
  token: string;
}

/**
 * What a queued run carries (BullMQ job data). Tokens are data for the worker, never logged, and
 * dropped from the job data once the run has settled (succeeded, or failed for good).
 */
export interface RunJobData {
  /** The run spec as JSON (host paths already absolute). */
  spec: unknown;
  /** The Girder token for the spec's `girder`, if any. */
  girderToken?: string;
  /** A Girder job to report to; overrides the spec's `girder`. */
  girderJob?: GirderJobReference;
}

/** What a finished queued run returns (BullMQ return value). */
export interface RunJobResult {
  /** The container's exit code (always 0: a failed container fails the run). */
  exitCode: number;
  /** The container's id. */
  containerId: string;
  /** The result hooks' values, in order. */
  results: unknown[];
  /** Id of the worker that ran it (`<hostname>-<pid>` by default). */
  worker: string;
}

/** BullMQ connection options for a Redis URL (BullMQ needs `maxRetriesPerRequest: null`). */
export function connectionOf(redisUrl: string): ConnectionOptions {
  return { url: redisUrl, maxRetriesPerRequest: null } as ConnectionOptions;
}

/** The pub/sub channel on which cancel requests of a queue travel. */
export function cancelChannel(queue: string): string {
  return `girder-worker:${queue}:cancel`;
}

/** The key that marks a run as cancelled (closes the race with a worker just taking it). */
export function cancelKey(queue: string, id: string): string {
  return `girder-worker:${queue}:cancelled:${id}`;
}

/**
 * Why a queued run failed, as a stable code: `GW_RUN_CANCELLED` (cancelled: `cancel`, a worker
 * shutting down, its Girder job canceled), `GW_BAD_INPUT` (the queued data or the spec is unusable,
 * or Girder refused a request for good: never retried), `GW_RUN_TIMED_OUT` (the run reached its
 * time limit: never retried), `GW_RUN_FAILED` (anything else, e.g. the container exited non-zero).
 */
export type RunFailureCode = 'GW_RUN_CANCELLED' | 'GW_BAD_INPUT' | 'GW_RUN_TIMED_OUT' | 'GW_RUN_FAILED';

/** A queued run's failure: its code and a message for people. */
export interface RunFailure {
  /** What kind of failure. */
  code: RunFailureCode;
  /** What happened (secrets already masked). */
  message: string;
}

const FAILURE_CODES: ReadonlySet<string> = new Set<RunFailureCode>([
  'GW_RUN_CANCELLED',
  'GW_BAD_INPUT',
  'GW_RUN_TIMED_OUT',
  'GW_RUN_FAILED',
]);

/**
 * The text a worker records as a run's failure (BullMQ's `failedReason`): `<code>: <message>`.
 * The one place that writes it; {@link decodeRunFailure} is the one place that reads it.
 * @param failure - code and message
 * @returns the recorded reason
 */
export function encodeRunFailure(failure: RunFailure): string {
  return `${failure.code}: ${failure.message}`;
}

/**
 * Reads a recorded failure back. A reason BullMQ wrote itself (e.g. a run that stalled too often)
 * carries no code and reads as `GW_RUN_FAILED`.
 * @param reason - BullMQ's `failedReason`
 * @returns code and message
 */
export function decodeRunFailure(reason: string): RunFailure {
  const match = /^(GW_[A-Z_]+): /.exec(reason);
  if (match?.[1] && FAILURE_CODES.has(match[1]))
    return { code: match[1] as RunFailureCode, message: reason.slice(match[0].length) };
  return { code: 'GW_RUN_FAILED', message: reason };
}

/** Validates the shared connection options; returns the queue name. */
export function normalizeConnection(options: QueueConnection): { redisUrl: string; queue: string } {
  if (typeof options.redisUrl !== 'string' || !/^rediss?:\/\//.test(options.redisUrl)) {
    throw new BadInputError(
      'redisUrl',
      `expected a redis:// or rediss:// URL, got ${JSON.stringify(options.redisUrl)}`,
    );
  }
  const queue = options.queue ?? DEFAULT_QUEUE;
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) {
    throw new BadInputError('queue', `expected a non-empty name without ':', got ${JSON.stringify(queue)}`);
  }
  return { redisUrl: options.redisUrl, queue };
}

/** Whether a run's failure reason says it was cancelled (not failed). */
export function isCancelledReason(reason: string | undefined): boolean {
  return typeof reason === 'string' && decodeRunFailure(reason).code === 'GW_RUN_CANCELLED';
}
