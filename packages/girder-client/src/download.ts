import { Readable } from 'node:stream';
import { backoffMs, delay, type NormalizedRetry, RETRY_STATUSES } from './client.ts';
import { type GirderErrorBody, GirderHttpError, GirderNetworkError, isGirderHttpError } from './errors.ts';
import { type Http1Head, Http1Unsupported, http1Get } from './http1.ts';
import type { Logger } from './logger.ts';

/** What a download needs from the client. */
export interface DownloadContext {
  apiUrl: string;
  logger: Logger;
  retry: NormalizedRetry;
  timeoutMs: number | false;
  /** Plain `http:` without a custom fetch: read with {@link http1Get}; otherwise through fetch. */
  native: boolean;
  authHeaders(): Record<string, string>;
  /** The client's ky request (retries and error mapping included). */
  send(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Response>;
}

/** Where a download starts and stops, how often it resumes, and what aborts it. */
export interface DownloadPlan {
  fileId: string;
  offset: number;
  endByte: number | undefined;
  maxResumes: number;
  signal: AbortSignal | undefined;
}

/** One request's answer: its headers and a body read a chunk at a time. */
interface Opened {
  status: number;
  header(name: string): string | undefined;
  /** Chunks that are only valid until the next read (`lent`), or owned by the caller. */
  lent: boolean;
  read(): Promise<Uint8Array | null>;
  destroy(reason?: unknown): void;
}

/**
 * A file's bytes from Girder, pulled a chunk at a time; when the connection drops or ends early
 * it asks again with `Range: bytes=<next byte>-` (up to `maxResumes` times, with backoff).
 * Chunks from the native transport are lent: valid until the next {@link DownloadBody.read}.
 */
export class DownloadBody {
  readonly #context: DownloadContext;
  readonly #plan: DownloadPlan;
  readonly #path: string;
  #position: number;
  #end: number | undefined;
  #resumes = 0;
  #current: Opened | undefined;
  #cancelled = false;
  #native: boolean;

  /**
   * @param context - the client's side
   * @param plan - the file, range, resumes and signal
   */
  constructor(context: DownloadContext, plan: DownloadPlan) {
    this.#context = context;
    this.#plan = plan;
    this.#path = `file/${encodeURIComponent(plan.fileId)}/download`;
    this.#position = plan.offset;
    this.#end = plan.endByte;
    this.#native = context.native;
  }

  /** Whether the last chunk read is lent (copy it to keep it past the next read). */
  get lent(): boolean {
    return this.#current?.lent ?? false;
  }

  /**
   * The next chunk, or null at the end of the file (or range).
   * @throws {@link GirderHttpError} (never resumed), {@link GirderNetworkError} once the resumes
   * ran out, the signal's reason on abort
   */
  async read(): Promise<Uint8Array | null> {
    const { signal, maxResumes } = this.#plan;
    for (;;) {
      try {
        this.#current ??= await this.#open();
        const chunk = await this.#current.read();
        if (this.#cancelled) return null;
        if (chunk) {
          this.#position += chunk.byteLength;
          return chunk;
        }
        this.#current = undefined;
        if (this.#end === undefined || this.#position >= this.#end) return null;
        throw new Error(`the connection ended at byte ${this.#position} of ${this.#end}`);
      } catch (error) {
        this.#current?.destroy();
        this.#current = undefined;
        if (this.#cancelled) return null;
        if (signal?.aborted) throw signal.reason;
        if (isGirderHttpError(error)) throw error;
        if (++this.#resumes > maxResumes) {
          throw new GirderNetworkError('GET', this.#url(), error, {
            hint: `gave up after ${maxResumes} resumes at byte ${this.#position}; retry later or raise maxResumes`,
          });
        }
        this.#context.logger.warn('a Girder download was cut; resuming with Range', {
          fileId: this.#plan.fileId,
          position: this.#position,
          attempt: this.#resumes,
        });
        await delay(backoffMs(this.#resumes, this.#context.retry), signal);
      }
    }
  }

  /**
   * Stops: no more reads, no resumes; the connection is closed.
   * @param reason - passed to the connection
   */
  cancel(reason?: unknown): void {
    this.#cancelled = true;
    this.#current?.destroy(reason);
    this.#current = undefined;
  }

  #url(): string {
    return `${this.#context.apiUrl}/${this.#path}`;
  }

  async #open(): Promise<Opened> {
    const ranged = this.#position > 0 || this.#end !== undefined;
    const range: Record<string, string> = ranged
      ? { Range: `bytes=${this.#position}-${this.#end === undefined ? '' : this.#end - 1}` }
      : {};
    let opened: Opened | undefined;
    if (this.#native) {
      try {
        opened = await this.#openNative(range);
      } catch (error) {
        if (!(error instanceof Http1Unsupported)) throw error;
        // A redirect or a transfer coding: fetch handles those, for the rest of this download.
        this.#native = false;
        this.#context.logger.debug('Girder download goes through fetch', { reason: error.message });
      }
    }
    opened ??= await this.#openFetch(range);
    if (ranged && opened.status !== 206) {
      opened.destroy();
      throw new GirderHttpError(opened.status, 'GET', this.#url(), {
        message: `expected 206 Partial Content to a Range request, got ${opened.status}`,
      });
    }
    const start = opened.header('content-range')?.match(/^bytes (\d+)-/)?.[1];
    if (ranged && start !== undefined && Number(start) !== this.#position) {
      // Bytes from anywhere else would be spliced in at the wrong place.
      opened.destroy();
      throw new GirderHttpError(opened.status, 'GET', this.#url(), {
        message: `asked for bytes from ${this.#position}, got a range starting at ${start}`,
      });
    }
    if (this.#end === undefined) {
      const total = opened.header('content-range')?.match(/\/(\d+)$/)?.[1];
      const length = opened.header('content-length');
      if (total !== undefined) this.#end = Number(total);
      else if (length !== undefined && !ranged) this.#end = Number(length);
    }
    return opened;
  }

  async #openFetch(range: Record<string, string>): Promise<Opened> {
    const { signal } = this.#plan;
    const response = await this.#context.send('GET', this.#path, {
      ...(Object.keys(range).length > 0 ? { headers: range } : {}),
      ...(signal ? { signal } : {}),
    });
    const reader = response.body?.getReader();
    return {
      status: response.status,
      header: (name) => response.headers.get(name) ?? undefined,
      lent: false,
      read: async () => {
        const next = await reader?.read();
        return next && !next.done ? next.value : null;
      },
      destroy: (reason) => {
        reader?.cancel(reason).catch(() => {});
      },
    };
  }

  /** A GET on its own HTTP/1.1 connection, retrying 429/502/503/504 answers as ky would. */
  async #openNative(range: Record<string, string>): Promise<Opened> {
    const { signal } = this.#plan;
    const url = new URL(this.#url());
    for (let attempt = 1; ; attempt++) {
      // A connection failure, or an abort, goes to read(), which resumes it (or rethrows the reason).
      const response = await http1Get(url, {
        headers: { ...this.#context.authHeaders(), ...range },
        signal,
        timeoutMs: this.#context.timeoutMs,
      });
      const head: Http1Head = await response.head;
      if (head.status >= 300 && head.status < 400) {
        response.destroy();
        throw new Http1Unsupported(`redirect ${head.status}`);
      }
      if (head.status < 300) {
        return {
          status: head.status,
          header: (name) => head.headers.get(name),
          lent: true,
          read: () => response.read(),
          destroy: (reason) => response.destroy(reason),
        };
      }
      const text = await response.text().catch(() => '');
      if (RETRY_STATUSES.includes(head.status) && attempt <= this.#context.retry.limit) {
        this.#context.logger.warn('retrying a Girder request', {
          method: 'GET',
          path: url.pathname,
          attempt,
          error: `status ${head.status}`,
        });
        await delay(backoffMs(attempt, this.#context.retry), signal);
        continue;
      }
      throw new GirderHttpError(head.status, 'GET', url.href, parseErrorBody(text));
    }
  }
}

function parseErrorBody(text: string): GirderErrorBody | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null ? (body as GirderErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** How many bytes a {@link DownloadStream} reads ahead of its consumer. */
const STREAM_HIGH_WATER_MARK = 1 << 20;

/**
 * A Readable over a {@link DownloadBody}. Each lent chunk is copied into a Buffer of the stream's
 * own, since a consumer may keep it.
 */
export class DownloadStream extends Readable {
  readonly #body: DownloadBody;
  #reading = false;

  /** @param body - the download */
  constructor(body: DownloadBody) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.#body = body;
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#pull().then(
      () => {
        this.#reading = false;
      },
      (error: unknown) => this.destroy(error as Error),
    );
  }

  async #pull(): Promise<void> {
    for (;;) {
      const chunk = await this.#body.read();
      if (this.destroyed) return;
      if (chunk === null) {
        this.push(null);
        return;
      }
      const owned = this.#body.lent ? Buffer.from(chunk) : chunk;
      if (!this.push(owned)) return;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#body.cancel(error ?? undefined);
    callback(error);
  }
}
