import type { Credentials } from '../../http/credentials.ts';
import { type ErrorMapping, parseErrorBody } from '../../http/error-mapping.ts';
import { backoffMs, delay, RETRY_STATUSES } from '../../http/retry.ts';
import type { ClientSettings } from '../../options.ts';
import { type Http1Head, Http1Unsupported, http1Get } from './http1-response.ts';
import type { DownloadTransport } from './transport.ts';

/** What {@link createHttp1Transport} needs. */
export interface Http1TransportParts {
  /** API root, timeout, retry policy, logger. */
  settings: ClientSettings;
  /** Where the `Girder-Token` header comes from. */
  credentials: Credentials;
  /** Builds errors with secrets masked. */
  errors: ErrorMapping;
  /** Used for the rest of a download this transport cannot read. */
  fallback: DownloadTransport;
}

/**
 * Downloads on an HTTP/1.1 connection of their own (TCP or TLS), read into two reused buffers
 * whose views are lent. A redirect or a transfer coding throws {@link Http1Unsupported}, so that
 * the download goes on through `fallback`.
 * @param parts - settings, credentials, errors, fallback
 * @returns the transport
 */
export function createHttp1Transport(parts: Http1TransportParts): DownloadTransport {
  const { settings, credentials, errors } = parts;
  return {
    name: 'http1',
    fallback: parts.fallback,
    async open(path, headers, signal) {
      const url = new URL(`${settings.apiUrl}/${path}`);
      for (let attempt = 1; ; attempt++) {
        // A connection failure, or an abort, goes to the download, which resumes (or rethrows the reason).
        const response = await http1Get(url, {
          headers: { ...credentials.headers(), ...headers },
          signal,
          timeoutMs: settings.timeoutMs,
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
        if (RETRY_STATUSES.includes(head.status) && attempt <= settings.retry.limit) {
          settings.logger.warn('retrying a Girder request', {
            method: 'GET',
            path: url.pathname,
            attempt,
            error: `status ${head.status}`,
          });
          await delay(backoffMs(attempt, settings.retry), signal);
          continue;
        }
        throw errors.http(head.status, 'GET', url.href, parseErrorBody(text));
      }
    },
  };
}
