import type { Logger } from '@girder-worker/transforms';

/** Error codes and messages that mean "Redis is not reachable right now". */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

function isConnectionError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return /connection is closed|stream isn't writeable|connect ETIMEDOUT|ECONNREFUSED/i.test(error.message);
}

/** Where a worker's Redis clients report errors and readiness. */
export interface RedisConnectionWatch {
  /** An error from any Redis client (ioredis or BullMQ's). */
  error(error: Error, source: string): void;
  /** A client is connected and ready. */
  ready(): void;
}

/**
 * One line when the connection to Redis is lost ("…; reconnecting"), one when it is back, nothing
 * per retry in between (ioredis retries for ever, and BullMQ reports each failed attempt). Errors
 * that are not about the connection are logged as they come.
 * @param logger - where the lines go
 * @param shownUrl - the Redis URL as it may be shown (password masked)
 * @returns the watch to feed with clients' `error` and `ready` events
 */
export function watchRedisConnection(logger: Logger, shownUrl: string): RedisConnectionWatch {
  let down = false;
  return {
    error(error, source) {
      if (!isConnectionError(error)) {
        if (!down) logger.warn(`${source} error`, { error: error.message });
        return;
      }
      if (down) return;
      down = true;
      logger.warn(`lost the connection to Redis at ${shownUrl} (${error.message}); reconnecting`);
    },
    ready() {
      if (!down) return;
      down = false;
      logger.warn(`reconnected to Redis at ${shownUrl}`);
    },
  };
}
