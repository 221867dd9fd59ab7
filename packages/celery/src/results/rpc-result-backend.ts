import type { Logger } from '@girder-worker/transforms';
import type { CeleryBroker } from '../brokers/broker.ts';
import type { RawCeleryMessage } from '../task.ts';
import type { ResultBackend } from './result-backend.ts';
import type { ResultMeta } from './result-meta.ts';

/**
 * Celery's `rpc://` backend: the result goes back through the broker to the caller's reply
 * queue (`properties.reply_to`), on the default exchange, `correlation_id` = task id, body
 * `{task_id, status, result, traceback, children}`. A message without `reply_to` gets none.
 */
export function createRpcResultBackend(broker: CeleryBroker, logger: Logger): ResultBackend {
  return {
    kind: 'rpc',
    async store(taskId: string, message: RawCeleryMessage, meta: ResultMeta): Promise<void> {
      const replyTo = message.properties.replyTo;
      if (!replyTo) return;
      const body = {
        task_id: taskId,
        status: meta.status,
        result: meta.result,
        traceback: meta.traceback,
        children: [],
      };
      try {
        await broker.publishResult(replyTo, message.properties.correlationId ?? taskId, body);
      } catch (error) {
        logger.warn('could not send the task result to the rpc backend', {
          taskId,
          error: (error as Error).message,
        });
      }
    },
    async close(): Promise<void> {},
  };
}
