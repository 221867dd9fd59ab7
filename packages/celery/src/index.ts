/**
 * `@girder-worker/celery`: Girder's Celery queue. Consumes (and publishes) girder_worker's
 * `docker_run` messages on Redis and RabbitMQ.
 * @packageDocumentation
 */

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
export { CONTROL_COMMANDS, runControlCommand } from './control/control-panel.ts';
export { LamportClock } from './control/lamport-clock.ts';
export { isForNode, startMailbox } from './control/mailbox.ts';
export { RevokedSet } from './control/revoked-set.ts';
export type { ActiveTaskInfo, WorkerState } from './control/worker-state.ts';
export { createResultBackend } from './results/create-result-backend.ts';
export {
  createRedisResultBackend,
  type RedisResultBackendOptions,
  TASK_META_PREFIX,
} from './results/redis-result-backend.ts';
export type { ResultBackend } from './results/result-backend.ts';
export {
  type CeleryState,
  notRegistered,
  type ResultMeta,
  resultMeta,
  type SerializedException,
} from './results/result-meta.ts';
export { createRpcResultBackend } from './results/rpc-result-backend.ts';
export type { RawCeleryMessage, TaskContext, TaskHandler, TaskOutcome } from './task.ts';
export { TaskRevokedError } from './task.ts';
export { DOCKER_RUN_TASK } from './task-name.ts';
export { type CeleryWorker, createCeleryWorker } from './worker/celery-worker.ts';
export { InvalidWorkerOptionsError, TaskTimeLimitError, WorkerShutdownError } from './worker/errors.ts';
export {
  type CeleryWorkerOptions,
  type NormalizedWorkerOptions,
  normalizeWorkerOptions,
} from './worker/worker-options.ts';
