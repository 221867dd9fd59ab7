import type { Logger } from '@girder-worker/transforms';
import { Redis } from 'ioredis';
import { pythonJsonDumps } from '../brokers/python-json.ts';
import type { RawCeleryMessage } from '../task.ts';
import type { ResultBackend } from './result-backend.ts';
import type { ResultMeta } from './result-meta.ts';

/** Celery's key prefix for task results in key-value backends. */
const TASK_META_PREFIX = 'celery-task-meta-';

/** Options of {@link createRedisResultBackend}. */
export interface RedisResultBackendOptions {
  /** `redis://…` of the backend. */
  url: string;
  /** Celery's `result_expires`. @default 86_400 */
  expiresSeconds?: number;
  /** Failures to store are reported here. */
  logger: Logger;
}

/**
 * Celery's Redis result backend: `SETEX celery-task-meta-<id> <expires> <json>` and `PUBLISH`
 * of the same JSON on that key (what `AsyncResult.get()` waits on), where the JSON is
 * `{status, result, traceback, children, date_done, task_id}`.
 */
export function createRedisResultBackend(options: RedisResultBackendOptions): ResultBackend {
  const client = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  client.on('error', (error: Error) =>
    options.logger.warn('redis result backend error', { error: error.message }),
  );
  const expires = options.expiresSeconds ?? 86_400;
  return {
    kind: 'redis',
    async store(taskId: string, message: RawCeleryMessage, meta: ResultMeta): Promise<void> {
      const key = `${TASK_META_PREFIX}${taskId}`;
      const value = pythonJsonDumps({
        status: meta.status,
        result: meta.result,
        traceback: meta.traceback,
        children: [],
        date_done: new Date().toISOString().replace('Z', '000'),
        ...(typeof message.headers.group === 'string' ? { group_id: message.headers.group } : {}),
        ...(typeof message.headers.parent_id === 'string' ? { parent_id: message.headers.parent_id } : {}),
        task_id: taskId,
      });
      try {
        await client.multi().setex(key, expires, value).publish(key, value).exec();
      } catch (error) {
        options.logger.warn('could not store the task result in the Redis backend', {
          taskId,
          error: (error as Error).message,
        });
      }
    },
    async close(): Promise<void> {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
