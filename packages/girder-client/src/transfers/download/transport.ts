import type { ClientSettings } from '../../options.ts';
import { createFetchTransport, type FetchTransportParts } from './fetch-transport.ts';
import { createHttp1Transport, type Http1TransportParts } from './http1-transport.ts';

/** One answer to a download request: its status and headers, and its body a chunk at a time. */
export interface OpenedBody {
  /** HTTP status (2xx: errors are thrown by the transport). */
  status: number;
  /**
   * A response header.
   * @param name - lowercase header name
   */
  header(name: string): string | undefined;
  /** Whether chunks are lent (valid only until the next read) rather than owned by the caller. */
  lent: boolean;
  /** The next chunk, or null at the end of the body. */
  read(): Promise<Uint8Array | null>;
  /**
   * Closes the connection.
   * @param reason - why, passed to pending reads
   */
  destroy(reason?: unknown): void;
}

/** How a download reaches Girder. */
export interface DownloadTransport {
  /** `http1` (own connection, lent chunks) or `fetch` (the client's ky instance). */
  readonly name: 'http1' | 'fetch';
  /**
   * Sends the GET and waits for a 2xx answer (retrying 429/502/503/504 answers with backoff).
   * @param path - route under the API root
   * @param headers - extra headers (`Range`)
   * @param signal - aborts the request
   * @returns the opened body
   * @throws {@link GirderHttpError} for a non-2xx answer; {@link Http1Unsupported} when the answer
   * needs the `fallback` transport; anything else is a connection failure the download resumes
   */
  open(path: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<OpenedBody>;
  /** The transport to use for the rest of a download this one cannot read (a redirect). */
  readonly fallback?: DownloadTransport;
}

/**
 * Chooses, once per client, how its downloads travel: over `http:` and `https:` with the default
 * fetch, on an HTTP/1.1 connection of their own read into reused buffers (falling back to fetch
 * for a redirect or a chunked answer); with a custom `fetch`, through it.
 * @param settings - the client's settings
 * @param parts - what each transport needs
 * @returns the client's download transport
 */
export function chooseDownloadTransport(
  settings: ClientSettings,
  parts: FetchTransportParts & Omit<Http1TransportParts, 'fallback'>,
): DownloadTransport {
  const viaFetch = createFetchTransport(parts);
  const protocol = new URL(settings.apiUrl).protocol;
  if (settings.fetch !== undefined || (protocol !== 'http:' && protocol !== 'https:')) return viaFetch;
  return createHttp1Transport({ ...parts, fallback: viaFetch });
}
