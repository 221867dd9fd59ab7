import type { Logger } from '@girder-worker/transforms';
import type { CeleryBroker } from '../brokers/broker.ts';
import { InvalidBrokerUrlError } from '../brokers/errors.ts';
import { createRedisResultBackend } from './redis-result-backend.ts';
import type { ResultBackend } from './result-backend.ts';
import { createRpcResultBackend } from './rpc-result-backend.ts';

/**
 * The result backend named by `url`: `rpc://` (girder_worker's default: results travel back
 * through the broker), `redis://…` / `rediss://…`, or `disabled` (store nothing).
 * @throws {@link InvalidBrokerUrlError} for any other value
 */
export function createResultBackend(url: string, broker: CeleryBroker, logger: Logger): ResultBackend {
  if (url === 'disabled') {
    return { kind: 'disabled', store: async () => {}, close: async () => {} };
  }
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch (cause) {
    throw new InvalidBrokerUrlError(
      `backend: expected rpc://, redis://host:port/db or 'disabled', got an unreadable URL`,
      { cause },
    );
  }
  if (scheme === 'rpc:') return createRpcResultBackend(broker, logger);
  if (scheme === 'redis:' || scheme === 'rediss:') return createRedisResultBackend({ url, logger });
  throw new InvalidBrokerUrlError(
    `backend: expected rpc://, redis://host:port/db or 'disabled', got the scheme '${scheme.slice(0, -1)}'`,
  );
}
