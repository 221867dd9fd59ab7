import { type FieldReader, redactUrl, Transform, type TransformContext } from '@girder-worker/transforms';
import { normalizeChunkedUpload, openChunkedUpload } from './chunked-upload.ts';
import type { StreamSink } from './connector.ts';

/**
 * An HTTP endpoint as the output side of a {@link Connect}: the bytes are POSTed with
 * `Transfer-Encoding: chunked` as they arrive (girder_worker's name kept). A non-2xx answer
 * fails the connector with an `HttpStreamError` (status and body).
 *
 * Secrets: `headers` (e.g. `Girder-Token`) are part of `toJSON()` because a queued run needs
 * them; `toString()`, errors and logs show the URL with its secrets masked (`redactUrl` of
 * `@girder-worker/transforms`) and only the header names.
 *
 * @example
 * ```ts
 * new Connect(new NamedOutputPipe('out'), new ChunkedTransferEncodingStream(url, { 'Girder-Token': token }))
 * ```
 */
export class ChunkedTransferEncodingStream extends Transform<StreamSink> {
  /** Serialization kind. */
  static readonly kind: string = 'ChunkedTransferEncodingStream';
  /** The target URL (may carry a query string). */
  readonly url: string;
  /** Request headers (secret values allowed; never displayed). */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param url - Absolute http: or https: URL.
   * @param headers - Request headers.
   * @default headers {}
   * @throws TypeError on a bad URL or a non-string header value.
   */
  constructor(url: string, headers: Record<string, string> = {}) {
    super();
    // Validates the URL and headers now, not when the run starts.
    normalizeChunkedUpload(url, { headers });
    this.url = url;
    this.headers = Object.freeze({ ...headers });
  }

  /**
   * Revives a serialized stream.
   * @param fields - `url` and optional `headers`.
   * @returns The transform.
   */
  static fromJSON(fields: FieldReader): ChunkedTransferEncodingStream {
    const url = fields.string('url');
    const headers = fields.optional('headers', (reader, key) => reader.record(key)) ?? {};
    return new ChunkedTransferEncodingStream(url, headers);
  }

  /**
   * @param _ctx - Unused.
   * @returns A sink factory that starts the POST when the connector starts.
   */
  override transform(_ctx: TransformContext): StreamSink {
    return ({ signal }) => openChunkedUpload(this.url, { headers: { ...this.headers }, signal });
  }

  /** @returns `url` and `headers` (with values: needed to run the queued job). */
  override toJSON(): Record<string, unknown> {
    return { url: this.url, headers: { ...this.headers } };
  }

  /** @returns e.g. `ChunkedTransferEncodingStream(POST http://host/api, headers: Girder-Token)`. */
  override toString(): string {
    const names = Object.keys(this.headers);
    return `ChunkedTransferEncodingStream(POST ${redactUrl(this.url)}${names.length ? `, headers: ${names.join(', ')}` : ''})`;
  }
}
