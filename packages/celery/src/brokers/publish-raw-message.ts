import type { CeleryBroker, OutgoingCeleryMessage } from './broker.ts';

/**
 * Publishes a ready-made Celery message (headers and body built by the caller) to `queue` in
 * kombu's exact layout: on Redis an `LPUSH` of kombu's envelope (base64 body, Python JSON
 * spacing, fresh delivery tag) onto the queue's priority list with the `_kombu.binding.<queue>`
 * member Celery adds; on RabbitMQ a persistent message to the default exchange with the queue as
 * routing key, headers typed as py-amqp types them. The queue is declared as Celery declares it.
 * @example
 * ```ts
 * await publishRawMessage(broker, 'celery', { headers, properties: { correlationId: id }, body });
 * ```
 */
export function publishRawMessage(
  broker: CeleryBroker,
  queue: string,
  message: OutgoingCeleryMessage,
): Promise<void> {
  return broker.publish(queue, message);
}
