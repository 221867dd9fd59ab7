/**
 * `@girder-worker/celery`: Girder's Celery queue. Consumes (and publishes) girder_worker's
 * `docker_run` messages on Redis and RabbitMQ.
 * @packageDocumentation
 */

/** The Celery task name girder_worker's `docker_run` is published under. */
export const DOCKER_RUN_TASK = 'girder_worker.docker.tasks.docker_run';

export { AmqpBroker, type AmqpBrokerOptions } from './brokers/amqp-broker.ts';
export type {
  CeleryBroker,
  ConsumeOptions,
  Delivery,
  MailboxReplyTo,
  MailboxRequest,
  OutgoingCeleryMessage,
} from './brokers/broker.ts';
export { type CreateBrokerOptions, createBroker } from './brokers/create-broker.ts';
export {
  BrokerConnectionError,
  CeleryBrokerError,
  InvalidBrokerUrlError,
  MalformedMessageError,
} from './brokers/errors.ts';
export { buildKombuEnvelope, parseKombuEnvelope } from './brokers/kombu-envelope.ts';
export { publishRawMessage } from './brokers/publish-raw-message.ts';
export { RedisBroker, type RedisBrokerOptions } from './brokers/redis-broker.ts';
export type { RawCeleryMessage, TaskContext, TaskHandler, TaskOutcome } from './task.ts';
export { TaskRevokedError } from './task.ts';
