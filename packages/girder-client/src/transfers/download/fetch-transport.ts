import type { Requester } from '../../http/requester.ts';
import type { DownloadTransport } from './transport.ts';

/** What {@link createFetchTransport} needs. */
export interface FetchTransportParts {
  /** The client's requester (ky: retries, token, error mapping). */
  http: Requester;
}

/**
 * Downloads through the client's ky instance (fetch): redirects, transfer codings and a custom
 * fetch are handled there; chunks are the stream's own.
 * @param parts - the requester
 * @returns the transport
 */
export function createFetchTransport({ http }: FetchTransportParts): DownloadTransport {
  return {
    name: 'fetch',
    async open(path, headers, signal) {
      const response = await http.send('GET', path, {
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
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
    },
  };
}
