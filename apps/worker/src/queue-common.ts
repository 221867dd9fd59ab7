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

/** What a queued run carries (BullMQ job data). Tokens are data for the worker, never logged. */
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

/** Prefix of the failure reason of a cancelled run (what the worker records). */
export const CANCELLED_REASON_PREFIX = 'cancelled: ';

/** Whether a run's failure reason says it was cancelled (not failed). */
export function isCancelledReason(reason: string | undefined): boolean {
  return typeof reason === 'string' && reason.startsWith(CANCELLED_REASON_PREFIX);
}
