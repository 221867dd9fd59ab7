import type { GirderClient } from '@girder-worker/girder-client';
import { type Logger, type Progress, type Reporter, silentLogger } from '@girder-worker/transforms';
import { JobCancelledError } from './errors.ts';
import { isFinalJobStatus, JobStatus } from './job-status.ts';

/** Options of {@link JobManager}. */
export interface JobManagerOptions {
  /** A client allowed to update the job (e.g. with the job-scoped token from `jobInfoSpec`). */
  client: GirderClient;
  /** The Girder job id. */
  jobId: string;
  /**
   * Log lines are sent in batches at most this often.
   * @default 500
   */
  logIntervalMs?: number;
  /**
   * Progress is sent at most this often (the last value is always sent).
   * @default 500
   */
  progressIntervalMs?: number;
  /**
   * How often the job is read to notice a cancel request (CANCELING). 0 disables polling.
   * @default 2000
   */
  pollIntervalMs?: number;
  /**
   * At most this many bytes of log wait to be sent; beyond it the oldest lines are dropped and
   * a note says how many.
   * @default 1048576
   */
  maxPendingLogBytes?: number;
  /** @default silentLogger */
  logger?: Logger;
}

/** How a run ended, for {@link JobManager.finish}. */
export type RunOutcome = { status: 'success' } | { status: 'error'; error: unknown } | { status: 'canceled' };

function isStatusTransitionError(error: unknown): boolean {
  const e = error as { status?: unknown; field?: unknown } | null;
  return typeof e === 'object' && e !== null && e.status === 400 && e.field === 'status';
}

/**
 * Keeps a Girder job in step with a run, as girder_worker's job manager does: RUNNING at start;
 * SUCCESS, ERROR or CANCELED at the end; log lines batched and rate-limited, never losing the last
 * ones; progress; and a `signal` that aborts when the job is asked to cancel (CANCELING).
 *
 * @example
 * ```ts
 * await using job = new JobManager({ client, jobId });
 * const outcome = await job.run((signal, reporter) => dockerRun({ image, signal, reporter }));
 * ```
 */
export class JobManager implements AsyncDisposable {
  readonly #client: GirderClient;
  /** The Girder job id. */
  readonly jobId: string;
  readonly #logger: Logger;
  readonly #logIntervalMs: number;
  readonly #progressIntervalMs: number;
  readonly #pollIntervalMs: number;
  readonly #maxPendingLogBytes: number;
  readonly #cancel = new AbortController();
  #pendingLog: string[] = [];
  #pendingLogBytes = 0;
  #droppedLines = 0;
  #logTimer: NodeJS.Timeout | undefined;
  #pendingProgress: Progress | undefined;
  #progressTimer: NodeJS.Timeout | undefined;
  #lastProgressSent = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;

  /** @param options - client, job id and intervals */
  constructor(options: JobManagerOptions) {
    this.#client = options.client;
    this.jobId = options.jobId;
    this.#logger = options.logger ?? silentLogger;
    this.#logIntervalMs = options.logIntervalMs ?? 500;
    this.#progressIntervalMs = options.progressIntervalMs ?? 500;
    this.#pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.#maxPendingLogBytes = options.maxPendingLogBytes ?? 1 << 20;
  }

  /** Aborts (with a {@link JobCancelledError}) when the job is asked to cancel. */
  get signal(): AbortSignal {
    return this.#cancel.signal;
  }

  /** A transforms `Reporter` that sends log lines and progress to the job. */
  readonly reporter: Reporter = {
    log: (line) => this.log(line),
    progress: (progress) => this.progress(progress),
  };

  /** Runs `step` after every earlier update, so updates reach Girder in order. */
  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(step);
    this.#queue = next.catch(() => {});
    return next;
  }

  async #update(fields: Parameters<GirderClient['updateJob']>[1]): Promise<void> {
    await this.#client.updateJob(this.jobId, fields);
  }

  /** The job's current status, read from Girder. */
  async refreshStatus(): Promise<number> {
    return (await this.#client.getJob(this.jobId)).status;
  }

  /**
   * Moves the job to RUNNING and starts watching for cancel requests. If Girder refuses the
   * transition because the job is already CANCELING, the signal aborts instead (as girder_worker
   * stays in CANCELING).
   */
  async start(): Promise<void> {
    await this.#enqueue(async () => {
      try {
        await this.#update({ status: JobStatus.RUNNING });
      } catch (error) {
        if (!isStatusTransitionError(error)) throw error;
        const status = await this.refreshStatus();
        if (status !== JobStatus.CANCELING && status !== JobStatus.CANCELED) throw error;
        this.#cancel.abort(new JobCancelledError(this.jobId));
      }
    });
    if (this.#pollIntervalMs > 0 && !this.#cancel.signal.aborted) {
      this.#pollTimer = setInterval(() => void this.#poll(), this.#pollIntervalMs);
      this.#pollTimer.unref();
    }
  }

  async #poll(): Promise<void> {
    try {
      const status = await this.refreshStatus();
      if (status === JobStatus.CANCELING || status === JobStatus.CANCELED) {
        this.#logger.info('the Girder job was asked to cancel', { jobId: this.jobId });
        clearInterval(this.#pollTimer);
        this.#cancel.abort(new JobCancelledError(this.jobId));
      }
    } catch (error) {
      this.#logger.warn('could not read the Girder job status', { jobId: this.jobId, error: String(error) });
    }
  }

  /** Queues one log line; lines go out in batches at most every `logIntervalMs`. */
  log(line: string): void {
    const text = line.endsWith('\n') ? line : `${line}\n`;
    this.#pendingLog.push(text);
    this.#pendingLogBytes += text.length;
    while (this.#pendingLogBytes > this.#maxPendingLogBytes && this.#pendingLog.length > 1) {
      this.#pendingLogBytes -= this.#pendingLog.shift()?.length ?? 0;
      this.#droppedLines++;
    }
    this.#logTimer ??= setTimeout(() => void this.flushLog(), this.#logIntervalMs);
  }

  /** Sends the queued log lines now. */
  flushLog(): Promise<void> {
    clearTimeout(this.#logTimer);
    this.#logTimer = undefined;
    if (this.#pendingLog.length === 0 && this.#droppedLines === 0) return this.#queue;
    const dropped = this.#droppedLines;
    const text = (dropped > 0 ? `[${dropped} log lines dropped]\n` : '') + this.#pendingLog.join('');
    this.#pendingLog = [];
    this.#pendingLogBytes = 0;
    this.#droppedLines = 0;
    return this.#enqueue(() => this.#update({ log: text })).catch((error: unknown) => {
      this.#logger.warn('could not send log lines to the Girder job', {
        jobId: this.jobId,
        error: String(error),
      });
    });
  }

  /** Records progress; sent at most every `progressIntervalMs`, the last value always. */
  progress(progress: Progress): void {
    this.#pendingProgress = { ...this.#pendingProgress, ...progress };
    if (this.#progressTimer) return;
    const wait = Math.max(0, this.#lastProgressSent + this.#progressIntervalMs - Date.now());
    this.#progressTimer = setTimeout(() => void this.flushProgress(), wait);
  }

  /** Sends the latest progress now. */
  flushProgress(): Promise<void> {
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    const progress = this.#pendingProgress;
    this.#pendingProgress = undefined;
    if (!progress) return this.#queue;
    this.#lastProgressSent = Date.now();
    return this.#enqueue(() =>
      this.#update({
        ...(progress.total === undefined ? {} : { progressTotal: progress.total }),
        ...(progress.current === undefined ? {} : { progressCurrent: progress.current }),
        ...(progress.message === undefined ? {} : { progressMessage: progress.message }),
      }),
    ).catch((error: unknown) => {
      this.#logger.warn('could not send progress to the Girder job', {
        jobId: this.jobId,
        error: String(error),
      });
    });
  }

  /**
   * Flushes logs and progress, then sets the final status: SUCCESS, ERROR (the error's message
   * is logged first) or CANCELED. When Girder refuses SUCCESS because the job is CANCELING, the
   * job is set to CANCELED, as girder_worker does.
   */
  async finish(outcome: RunOutcome): Promise<void> {
    clearInterval(this.#pollTimer);
    if (outcome.status === 'error') {
      const error = outcome.error;
      this.log(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    await this.flushProgress();
    await this.flushLog();
    const target =
      outcome.status === 'success'
        ? JobStatus.SUCCESS
        : outcome.status === 'error'
          ? JobStatus.ERROR
          : JobStatus.CANCELED;
    await this.#enqueue(async () => {
      try {
        await this.#update({ status: target });
      } catch (error) {
        if (!isStatusTransitionError(error)) throw error;
        const status = await this.refreshStatus();
        if (isFinalJobStatus(status)) return;
        if (status === JobStatus.CANCELING) await this.#update({ status: JobStatus.CANCELED });
        else throw error;
      }
    });
  }

  /**
   * Runs `fn` with the job: RUNNING, then `fn(signal, reporter)`, then the final status from how
   * it ended (an abort of `signal` or of `signal`'s sources means CANCELED). Rethrows `fn`'s error.
   */
  async run<T>(
    fn: (signal: AbortSignal, reporter: Reporter) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    await this.start();
    const combined = signal ? AbortSignal.any([signal, this.signal]) : this.signal;
    try {
      combined.throwIfAborted();
      const value = await fn(combined, this.reporter);
      await this.finish({ status: 'success' });
      return value;
    } catch (error) {
      await this.finish(combined.aborted ? { status: 'canceled' } : { status: 'error', error }).catch(
        (e: unknown) => {
          this.#logger.warn('could not set the final job status', { jobId: this.jobId, error: String(e) });
        },
      );
      throw error;
    } finally {
      await this.close();
    }
  }

  /** Stops timers and flushes what is pending; idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#pollTimer);
      await this.flushProgress();
      await this.flushLog();
      await this.#queue;
    })();
    return this.#closed;
  }

  /** Same as {@link JobManager.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
