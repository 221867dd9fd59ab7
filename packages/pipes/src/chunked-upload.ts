import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { redactUrl } from '@girder-worker/transforms';
import { HttpStreamError } from './errors.ts';

/** Options of {@link openChunkedUpload}. */
export interface ChunkedUploadOptions {
  /**
   * Request headers (e.g. `Girder-Token`). They are sent, never logged or shown in errors.
   * @default {}
   */
  headers?: Record<string, string>;
  /** Aborts the request; the stream is destroyed with the signal's reason. */
  signal?: AbortSignal;
  /**
   * How many bytes of an error response body to keep for the error message.
   * @default 4096
   */
  maxErrorBodyBytes?: number;
}

/** Internal: validated upload options. */
export interface NormalizedUploadOptions {
  url: URL;
  headers: Record<string, string>;
  signal: AbortSignal | undefined;
  maxErrorBodyBytes: number;
}

/** Validates a URL and options the way {@link openChunkedUpload} does (internal). */
export function normalizeChunkedUpload(
  url: string | URL,
  options: ChunkedUploadOptions,
): NormalizedUploadOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TypeError(`openChunkedUpload url: expected an absolute http(s) URL, got ${redactUrl(url)}`, {
      cause,
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`openChunkedUpload url: expected an http: or https: URL, got ${parsed.protocol}`);
  }
  const headers = options.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new TypeError('openChunkedUpload options.headers: expected an object of strings');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new TypeError(
        `openChunkedUpload options.headers.${name}: expected a string, got ${typeof value}`,
      );
    }
  }
  const maxErrorBodyBytes = options.maxErrorBodyBytes ?? 4096;
  if (!Number.isInteger(maxErrorBodyBytes) || maxErrorBodyBytes < 0) {
    throw new TypeError(
      `openChunkedUpload options.maxErrorBodyBytes: expected an integer >= 0, got ${String(maxErrorBodyBytes)}`,
    );
  }
  return { url: parsed, headers, signal: options.signal, maxErrorBodyBytes };
}

/**
 * A Writable that streams its bytes as the body of one HTTP POST with
 * `Transfer-Encoding: chunked`. It finishes when the server has answered 2xx; any other answer
 * fails it with an {@link HttpStreamError} carrying the status and the start of the body.
 */
export class ChunkedUploadStream extends Writable {
  /** The target as shown in logs and errors: secrets masked (`redactUrl` of @girder-worker/transforms). */
  readonly url: string;
  readonly #options: NormalizedUploadOptions;
  #request: ClientRequest | undefined;
  #outcome: Promise<void> | undefined;
  #failure: Error | undefined;
  #status = 0;

  /**
   * Prefer {@link openChunkedUpload}.
   * @param url - Absolute http(s) URL.
   * @param options - See {@link ChunkedUploadOptions}.
   */
  constructor(url: string | URL, options: ChunkedUploadOptions = {}) {
    const normalized = normalizeChunkedUpload(url, options);
    super();
    this.#options = normalized;
    this.url = redactUrl(this.#options.url);
  }

  /** The response status once it arrived (0 before). */
  get status(): number {
    return this.#status;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const { url, headers, signal } = this.#options;
    if (signal?.aborted) {
      callback(signal.reason);
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, {
      method: 'POST',
      headers: { ...headers, 'transfer-encoding': 'chunked' },
      signal,
    });
    this.#request = request;
    this.#outcome = new Promise<void>((resolve, reject) => {
      request.once('response', (response) => {
        this.#status = response.statusCode ?? 0;
        this.#readResponse(response).then(resolve, (error: Error) => {
          this.#failure = error;
          reject(error);
          // A refusal that arrives while we are still sending stops the upload now.
          if (!this.writableFinished) this.destroy(error);
        });
      });
      request.once('error', (cause) => {
        const error = signal?.aborted ? signal.reason : new HttpStreamError(this.url, 0, '', { cause });
        this.#failure = error;
        reject(error);
        this.destroy(error);
      });
    });
    this.#outcome.catch(() => {});
    request.flushHeaders();
    callback();
  }

  async #readResponse(response: IncomingMessage): Promise<void> {
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      response.resume();
      await new Promise<void>((resolve, reject) => {
        response.once('end', resolve);
        response.once('error', reject);
      });
      return;
    }
    const limit = this.#options.maxErrorBodyBytes;
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response) {
        if (size < limit) {
          const part = (chunk as Buffer).subarray(0, limit - size);
          parts.push(part);
          size += part.length;
        }
      }
    } catch {
      // Keep what arrived; the status is the important part.
    }
    throw new HttpStreamError(this.url, status, Buffer.concat(parts).toString('utf8').trim());
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const request = this.#request as ClientRequest;
    if (this.#failure) {
      callback(this.#failure);
      return;
    }
    if (request.write(chunk)) {
      callback();
      return;
    }
    const onDrain = (): void => {
      request.off('close', onClose);
      callback();
    };
    const onClose = (): void => {
      request.off('drain', onDrain);
      callback(this.#failure ?? new HttpStreamError(this.url, this.#status, 'the connection closed'));
    };
    request.once('drain', onDrain);
    request.once('close', onClose);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const request = this.#request as ClientRequest;
    request.end();
    (this.#outcome as Promise<void>).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#request && !this.#request.destroyed && !this.writableFinished) this.#request.destroy();
    callback(error);
  }
}

/**
 * Starts an HTTP POST whose body is streamed with chunked transfer encoding, as a Writable.
 *
 * @param url - Absolute http: or https: URL.
 * @param options - Headers, signal; see {@link ChunkedUploadOptions}.
 * @returns A Writable that finishes once the server answered 2xx.
 * @throws TypeError on a bad URL or headers; through the stream: {@link HttpStreamError}.
 * @example
 * ```ts
 * await pipeline(createReadStream('log.txt'), openChunkedUpload('http://127.0.0.1:8080/upload', {
 *   headers: { 'Girder-Token': token },
 * }));
 * ```
 */
export function openChunkedUpload(
  url: string | URL,
  options: ChunkedUploadOptions = {},
): ChunkedUploadStream {
  return new ChunkedUploadStream(url, options);
}
