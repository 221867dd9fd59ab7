import { isFinalJobStatus, JobCancelledError, JobStatus } from '@girder-worker/girder';
import { type Logger, type Progress, silentLogger } from '@girder-worker/transforms';
import type { JobInfoSpec } from '../protocol/job-info-spec.ts';
import { JobUpdateError } from './errors.ts';

/** Options of {@link JobInfoReporter}. */
export interface JobInfoReporterOptions {
  /** Where to report (the message's `jobInfoSpec`). */
  spec: JobInfoSpec;
  /** @default silent */
  logger?: Logger;
  /**
   * Log text and progress are sent at most this often (girder_worker: 0.5 s).
   * @default 500
   */
  flushIntervalMs?: number;
  /**
   * How long one update may take.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A URL without its query (tokens never reach a log line). */
function display(url: string): string {
  return url.replace(/[?#].*$/, '');
}

/**
 * Reports a task to its Girder job exactly as girder_worker's `JobManager` does with a
 * `jobInfoSpec`: form-encoded updates (`status`, `log`, `progressTotal`, `progressCurrent`,
 * `progressMessage`) sent with the spec's method and headers (its job-scoped `Girder-Token`), in
 * order. Log text is appended as written, byte for byte (no newline added), batched at most every
 * `flushIntervalMs`; the last progress always goes out.
 */
export class JobInfoReporter implements AsyncDisposable {
  readonly #spec: JobInfoSpec;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  #log = '';
  #progress: Progress | undefined;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #watch: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;

  /** @param options - the spec and intervals */
  constructor(options: JobInfoReporterOptions) {
    this.#spec = options.spec;
    this.#logger = options.logger ?? silentLogger;
    this.#intervalMs = options.flushIntervalMs ?? 500;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Whether the task's output goes to the job log (`jobInfoSpec.logPrint`). */
  get logPrint(): boolean {
    return this.#spec.logPrint;
  }

  /** The job id (`reference`, else the last segment of the URL). */
  get jobId(): string {
    return this.#spec.reference ?? display(this.#spec.url).replace(/\/+$/, '').split('/').pop() ?? '';
  }

  async #request(method: string, fields?: Record<string, string | number>): Promise<unknown> {
    const body = fields
      ? new URLSearchParams(
          Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]),
        ).toString()
      : undefined;
    let response: Response;
    try {
      response = await this.#fetch(this.#spec.url, {
        method,
        headers: {
          ...this.#spec.headers,
          ...(body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' }),
          Accept: 'application/json',
        },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new JobUpdateError(method, display(this.#spec.url), 0, String(error), undefined, {
        cause: error,
      });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const detail = (json as { message?: unknown } | undefined)?.message;
      const field = (json as { field?: unknown } | undefined)?.field;
      throw new JobUpdateError(
        method,
        display(this.#spec.url),
        response.status,
        typeof detail === 'string' ? detail : text.slice(0, 200),
        typeof field === 'string' ? field : undefined,
      );
    }
    return json;
  }

  #enqueue(fields: Record<string, string | number>): Promise<void> {
    const next = this.#queue.then(() => this.#request(this.#spec.method, fields)).then(() => {});
    this.#queue = next.catch(() => {});
    return next;
  }

  /** The job's current status, read with the spec's headers. */
  async getStatus(): Promise<number> {
    const job = (await this.#request('GET')) as { status?: unknown } | undefined;
    const status = Number(job?.status);
    if (!Number.isInteger(status)) {
      throw new JobUpdateError('GET', display(this.#spec.url), 200, 'the answer carries no job status');
    }
    return status;
  }

  /** Appends text to the job log as it is (batched). */
  write(text: string): void {
    if (text === '') return;
    this.#log += text;
    this.#schedule();
  }

  /** Records progress (batched; the last value always goes out). */
  progress(progress: Progress): void {
    this.#progress = { ...this.#progress, ...progress };
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) {
      // Nothing may outlive the task: a late write goes out at once, in order.
      void this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => void this.flush(), this.#intervalMs);
  }

  /** Sends pending log text and progress now; failures are logged, not thrown. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // One update carries the log text and the progress, as girder_worker's JobManager sends them.
    const fields: Record<string, string | number> = {};
    if (this.#log !== '') fields.log = this.#log;
    this.#log = '';
    const p = this.#progress;
    this.#progress = undefined;
    if (p?.total !== undefined) fields.progressTotal = p.total;
    if (p?.current !== undefined) fields.progressCurrent = p.current;
    if (p?.message !== undefined) fields.progressMessage = p.message;
    if (Object.keys(fields).length === 0) return this.#queue;
    return this.#enqueue(fields).then(
      () => {},
      (error: unknown) => {
        this.#logger.warn('could not send log or progress to the Girder job', {
          jobId: this.jobId,
          error: String(error),
        });
      },
    );
  }

  /**
   * Flushes, then sets the status. When Girder refuses a transition (400, field `status`) the job
   * is read: CANCELING then becomes CANCELED when `status` is final, as girder_worker does.
   * @returns the status the job has now
   * @throws {@link JobUpdateError} when Girder refuses for another reason
   */
  async setStatus(status: number): Promise<number> {
    await this.flush();
    try {
      await this.#enqueue({ status });
      return status;
    } catch (error) {
      if (!(error instanceof JobUpdateError) || error.status !== 400 || error.field !== 'status') throw error;
      const current = await this.getStatus();
      if (current === JobStatus.CANCELING && isFinalJobStatus(status)) {
        await this.#enqueue({ status: JobStatus.CANCELED });
        return JobStatus.CANCELED;
      }
      if (current === JobStatus.CANCELING || isFinalJobStatus(current)) return current;
      throw error;
    }
  }

  /**
   * Polls the job and aborts the returned signal (reason {@link JobCancelledError}) once it is
   * CANCELING or CANCELED. Stopped by {@link JobInfoReporter.close}.
   * @param intervalMs - the polling interval
   */
  watchCancel(intervalMs: number): AbortSignal {
    const controller = new AbortController();
    clearInterval(this.#watch);
    this.#watch = setInterval(() => {
      this.getStatus().then(
        (status) => {
          if (status === JobStatus.CANCELING || status === JobStatus.CANCELED) {
            clearInterval(this.#watch);
            controller.abort(new JobCancelledError(this.jobId));
          }
        },
        (error: unknown) => {
          this.#logger.warn('could not read the Girder job status', {
            jobId: this.jobId,
            error: String(error),
          });
        },
      );
    }, intervalMs);
    return controller.signal;
  }

  /** Stops polling, flushes what is pending and waits for every update; idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#watch);
      await this.flush();
      await this.#queue;
    })();
    return this.#closed;
  }

  /** Same as {@link JobInfoReporter.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
