import type { CeleryBroker } from '../brokers/broker.ts';
import { createBroker } from '../brokers/create-broker.ts';
import { type BuildDockerRunOptions, buildDockerRunMessage } from '../protocol/build-message.ts';

/** Options of {@link publishDockerRun}: the message, and where it goes. */
export interface PublishDockerRunOptions extends BuildDockerRunOptions {
  /**
   * The queue (Celery's routing key on the default exchange).
   * @default 'celery'
   */
  queue?: string;
}

/**
 * Publishes a `docker_run` task as girder_worker's publisher does (jsonpickled transforms under
 * girder_worker's class names, Celery protocol v2 headers, kombu's layout on Redis, Celery's on
 * RabbitMQ), so a Python girder_worker or ours can take it: mixed fleets work both ways.
 *
 * @param broker - a broker URL (`redis://…`, `amqp://…`; connected for this call only) or a
 *   connected broker
 * @param options - the run (image, arguments, transforms, hooks, `jobInfoSpec`…) and the queue
 * @returns the task id
 * @example
 * ```ts
 * const taskId = await publishDockerRun('redis://127.0.0.1:6379/0', {
 *   image: 'girder-worker-test/busybox:latest',
 *   pullImage: false,
 *   containerArgs: ['echo', 'hi'],
 * });
 * ```
 */
export async function publishDockerRun(
  broker: string | CeleryBroker,
  options: PublishDockerRunOptions,
): Promise<string> {
  const { queue = 'celery', ...run } = options;
  const message = buildDockerRunMessage(run);
  const connected = typeof broker === 'string' ? await createBroker(broker) : broker;
  try {
    await connected.publish(queue, message);
  } finally {
    if (connected !== broker) await connected.close();
  }
  return String(message.headers.id);
}
