import type { Logger } from '@girder-worker/transforms';
import { AmqpBroker } from './amqp-broker.ts';
import type { CeleryBroker } from './broker.ts';
import { InvalidBrokerUrlError } from './errors.ts';
import { RedisBroker } from './redis-broker.ts';

/** Options of {@link createBroker}. */
export interface CreateBrokerOptions {
  /** Where connection problems are reported. @default silent */
  logger?: Logger;
  /** Redis only: kombu's visibility timeout. @default 3_600_000 */
  visibilityTimeoutMs?: number;
  /** Redis only: how often to look for messages when the queues were empty. @default 100 */
  pollIntervalMs?: number;
  /** AMQP only: called when the connection is lost while not closing. */
  onConnectionLost?: (error: Error) => void;
}

/** The broker URL schemes accepted, as Celery spells them. */
const SCHEMES: Record<string, 'redis' | 'amqp'> = {
  'redis:': 'redis',
  'rediss:': 'redis',
  'amqp:': 'amqp',
  'amqps:': 'amqp',
  'pyamqp:': 'amqp',
};

/**
 * Connects to the Celery broker at `url`: `redis://[:password@]host[:port][/db]`, `rediss://…`,
 * `amqp://user:password@host[:port]/[vhost]` (`//` = vhost `/`), `amqps://…`, `pyamqp://…`.
 * @throws {@link InvalidBrokerUrlError} for another scheme or an unreadable URL, before connecting
 * @throws {@link BrokerConnectionError} when the broker cannot be reached
 * @example
 * ```ts
 * const broker = await createBroker('redis://127.0.0.1:6379/0');
 * ```
 */
export async function createBroker(url: string, options: CreateBrokerOptions = {}): Promise<CeleryBroker> {
  // No `cause`: the URL parser's error holds the whole URL (`input`), password included.
  const scheme = URL.canParse(url) ? new URL(url).protocol : undefined;
  if (scheme === undefined) {
    throw new InvalidBrokerUrlError(
      `broker URL: expected a URL such as redis://host:6379/0 or amqp://guest:guest@host:5672//, got an unreadable value`,
    );
  }
  const transport = SCHEMES[scheme];
  if (!transport) {
    throw new InvalidBrokerUrlError(
      `broker URL: expected the scheme redis, rediss, amqp, amqps or pyamqp, got '${scheme.slice(0, -1)}'`,
    );
  }
  if (transport === 'redis') {
    const broker = new RedisBroker(url, {
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.visibilityTimeoutMs !== undefined
        ? { visibilityTimeoutMs: options.visibilityTimeoutMs }
        : {}),
      ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    });
    await broker.connect();
    return broker;
  }
  const broker = new AmqpBroker(url, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onConnectionLost ? { onConnectionLost: options.onConnectionLost } : {}),
  });
  await broker.connect();
  return broker;
}
