import { isGirderHttpError } from '../../errors.ts';
import type { ErrorMapping } from '../../http/error-mapping.ts';
import { backoffMs, delay } from '../../http/retry.ts';
import type { ClientSettings } from '../../options.ts';
import { Http1Unsupported } from './http1-response.ts';
import type { DownloadTransport, OpenedBody } from './transport.ts';

/** Where a download starts and stops, how often it resumes, and what aborts it. */
export interface DownloadPlan {
  /** The file id. */
  fileId: string;
  /** First byte. */
  offset: number;
  /** One past the last byte, or the file's end. */
  endByte: number | undefined;
  /** Resumes allowed after a dropped connection. */
  maxResumes: number;
  /** Aborts the download. */
  signal: AbortSignal | undefined;
}

/** What a download needs from its client. */
export interface DownloadParts {
  /** API root, retry policy, logger. */
  settings: ClientSettings;
  /** The client's transport, chosen once. */
  transport: DownloadTransport;
  /** Builds errors with secrets masked. */
  errors: ErrorMapping;
}

/**
 * A file's bytes from Girder, pulled a chunk at a time; when the connection drops or ends early
 * it asks again with `Range: bytes=<next byte>-` (up to `maxResumes` times, with backoff), and
 * refuses an answer that is not the range it asked for. Chunks of the `http1` transport are
 * lent: valid until the next {@link DownloadBody.read}.
 */
export class DownloadBody {
  readonly #parts: DownloadParts;
  readonly #plan: DownloadPlan;
  readonly #path: string;
  #transport: DownloadTransport;
  #position: number;
  #end: number | undefined;
  #resumes = 0;
  #current: OpenedBody | undefined;
  #cancelled = false;

  /**
   * @param parts - the client's side
   * @param plan - the file, range, resumes and signal
   */
  constructor(parts: DownloadParts, plan: DownloadPlan) {
    this.#parts = parts;
    this.#plan = plan;
    this.#path = `file/${encodeURIComponent(plan.fileId)}/download`;
    this.#transport = parts.transport;
    this.#position = plan.offset;
    this.#end = plan.endByte;
  }

  /** Whether the last chunk read is lent (copy it to keep it past the next read). */
  get lent(): boolean {
    return this.#current?.lent ?? false;
  }

  /**
   * The next chunk, or null at the end of the file (or range).
   * @returns a chunk, or null
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
          throw this.#parts.errors.network(
            'GET',
            this.#url(),
            error,
            `gave up after ${maxResumes} resumes at byte ${this.#position}; retry later or raise maxResumes`,
          );
        }
        this.#parts.settings.logger.warn('a Girder download was cut; resuming with Range', {
          fileId: this.#plan.fileId,
          position: this.#position,
          attempt: this.#resumes,
        });
        await delay(backoffMs(this.#resumes, this.#parts.settings.retry), signal);
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
    return `${this.#parts.settings.apiUrl}/${this.#path}`;
  }

  /** Opens through the transport, switching to its fallback for good when it cannot read the answer. */
  async #openTransport(headers: Record<string, string>): Promise<OpenedBody> {
    const { fallback } = this.#transport;
    try {
      return await this.#transport.open(this.#path, headers, this.#plan.signal);
    } catch (error) {
      if (!(error instanceof Http1Unsupported) || !fallback) throw error;
      // A redirect or a transfer coding: the fallback handles those, for the rest of this download.
      this.#transport = fallback;
      this.#parts.settings.logger.debug(`Girder download goes through ${fallback.name}`, {
        reason: error.message,
      });
      return fallback.open(this.#path, headers, this.#plan.signal);
    }
  }

  async #open(): Promise<OpenedBody> {
    const ranged = this.#position > 0 || this.#end !== undefined;
    const headers: Record<string, string> = ranged
      ? { Range: `bytes=${this.#position}-${this.#end === undefined ? '' : this.#end - 1}` }
      : {};
    const opened = await this.#openTransport(headers);
    const refuse = (message: string): never => {
      opened.destroy();
      throw this.#parts.errors.http(opened.status, 'GET', this.#url(), { message });
    };
    if (ranged && opened.status !== 206)
      refuse(`expected 206 Partial Content to a Range request, got ${opened.status}`);
    const start = opened.header('content-range')?.match(/^bytes (\d+)-/)?.[1];
    // Bytes from anywhere else would be spliced in at the wrong place.
    if (ranged && start !== undefined && Number(start) !== this.#position)
      refuse(`asked for bytes from ${this.#position}, got a range starting at ${start}`);
    if (this.#end === undefined) {
      const total = opened.header('content-range')?.match(/\/(\d+)$/)?.[1];
      const length = opened.header('content-length');
      if (total !== undefined) this.#end = Number(total);
      else if (length !== undefined && !ranged) this.#end = Number(length);
    }
    return opened;
  }
}
