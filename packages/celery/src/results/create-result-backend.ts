import type { Logger } from '@girder-worker/transforms';
import type { CeleryBroker } from '../brokers/broker.ts';
import { InvalidBrokerUrlError } from '../brokers/errors.ts';
import { createRedisResultBackend } from './redis-result-backend.ts';
import type { ResultBackend } from './result-backend.ts';
import { createRpcResultBackend } from './rpc-result-backend.ts';

/** The kinds of result backend `url` can name. */
type BackendKind = 'disabled' | 'rpc' | 'redis';

/**
 * Which result backend `url` names, checked without connecting anywhere: `rpc://`, `redis://…` /
 * `rediss://…`, or `disabled`.
 * @throws {@link InvalidBrokerUrlError} for any other value (its message and cause never hold the URL)
 */
export function resultBackendKind(url: string): BackendKind {
  if (url === 'disabled') return 'disabled';
  // No `cause`: the URL parser's error holds the whole URL (`input`), password included.
  const scheme = URL.canParse(url) ? new URL(url).protocol : undefined;
  if (scheme === undefined) {
    throw new InvalidBrokerUrlError(
      `backend: expected rpc://, redis://host:port/db or 'disabled', got an unreadable URL`,
    );
  }
  if (scheme === 'rpc:') return 'rpc';
  if (scheme === 'redis:' || scheme === 'rediss:') return 'redis';
  throw new InvalidBrokerUrlError(
    `backend: expected rpc://, redis://host:port/db or 'disabled', got the scheme '${scheme.slice(0, -1)}'`,
  );
}

/**
 * The result backend named by `url`: `rpc://` (girder_worker's default: results travel back
 * through the broker), `redis://…` / `rediss://…`, or `disabled` (store nothing).
 * @throws {@link InvalidBrokerUrlError} for any other value
 */
export function createResultBackend(url: string, broker: CeleryBroker, logger: Logger): ResultBackend {
  switch (resultBackendKind(url)) {
    case 'disabled':
      return { kind: 'disabled', store: async () => {}, close: async () => {} };
    case 'rpc':
      return createRpcResultBackend(broker, logger);
    case 'redis':
      return createRedisResultBackend({ url, logger });
  }
}
