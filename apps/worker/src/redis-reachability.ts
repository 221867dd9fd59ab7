import { RedisUnavailableError } from './errors.ts';

/**
 * How long a queue client waits for Redis to answer before giving up.
 * @default 5000
 */
const REDIS_CONNECT_TIMEOUT_MS = 5000;

/**
 * Checks that Redis answers, with one connection attempt and no retries, so a queue command against
 * an unreachable server fails in seconds with one clear error (BullMQ's own connections would retry
 * for ever, printing a stack per attempt).
 * @param redisUrl - the Redis URL
 * @param timeoutMs - connect and answer timeout @default {@link REDIS_CONNECT_TIMEOUT_MS}
 * @throws {@link RedisUnavailableError} when it does not answer
 */
export async function assertRedisReachable(
  redisUrl: string,
  timeoutMs: number = REDIS_CONNECT_TIMEOUT_MS,
): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const reason = (lastError ?? (error as Error)).message || String(error);
    throw new RedisUnavailableError(redisUrl, reason, { cause: error });
  } finally {
    client.disconnect();
  }
}
