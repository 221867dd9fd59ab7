/**
 * `@girder-worker/celery`: Girder's Celery queue. Consumes (and publishes) girder_worker's
 * `docker_run` messages on Redis and RabbitMQ.
 * @packageDocumentation
 */

export type { AmqpBrokerOptions } from './brokers/amqp-broker.ts';
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
  isBrokerConnectionError,
  isCeleryBrokerError,
  isInvalidBrokerUrlError,
  isMalformedMessageError,
  MalformedMessageError,
} from './brokers/errors.ts';
export { publishRawMessage } from './brokers/publish-raw-message.ts';
export type { RedisBrokerOptions } from './brokers/redis-broker.ts';
export type { ActiveTaskInfo } from './control/worker-state.ts';
export { decodeJsonPickle, decodeJsonPickleText } from './jsonpickle/decode.ts';
export { encodeJsonPickle, type JsonValue } from './jsonpickle/encode.ts';
export { isJsonPickleError, JsonPickleError } from './jsonpickle/errors.ts';
export {
  isPyDict,
  PyBytes,
  PyDatetime,
  type PyDict,
  PyObject,
  PyObjectId,
  PyReduce,
  PySet,
  PyTuple,
  PyType,
  type PyValue,
} from './jsonpickle/nodes.ts';
export { CLASS_TABLE, type ClassMapper, type ClassMappingContext } from './mapping/class-table.ts';
export {
  type CreateOptions,
  DOCKER_KWARGS,
  type HostConfig,
  type KwargMapper,
  type MappedDockerRun,
} from './mapping/docker-kwargs.ts';
export {
  isMappingError,
  isUnknownClassError,
  isUnknownKwargError,
  MappingError,
  UnknownClassError,
  UnknownKwargError,
} from './mapping/errors.ts';
export type { GirderClientSpec, ValueMapper } from './mapping/map-value.ts';
export { type BuildDockerRunOptions, buildDockerRunMessage } from './protocol/build-message.ts';
export { CeleryProtocolError, isCeleryProtocolError } from './protocol/errors.ts';
export type { JobInfoSpec } from './protocol/job-info-spec.ts';
export type { PickledGirderClient } from './protocol/to-pickle.ts';
export { type PublishDockerRunOptions, publishDockerRun } from './publish/publish-docker-run.ts';
export type { ResultBackend } from './results/result-backend.ts';
export type { CeleryState, ResultMeta, SerializedException } from './results/result-meta.ts';
export { createDockerRunHandler, type DockerRunHandlerOptions } from './run/docker-run-handler.ts';
export { isJobUpdateError, isTaskTimeLimitError, JobUpdateError, TaskTimeLimitError } from './run/errors.ts';
export type { RawCeleryMessage, TaskContext, TaskHandler, TaskOutcome } from './task.ts';
export { isTaskRevokedError, TaskRevokedError } from './task.ts';
export { DOCKER_RUN_TASK } from './task-name.ts';
export { type CeleryWorker, createCeleryWorker } from './worker/celery-worker.ts';
export {
  InvalidWorkerOptionsError,
  isInvalidWorkerOptionsError,
  isWorkerShutdownError,
  WorkerShutdownError,
} from './worker/errors.ts';
export {
  type CeleryWorkerOptions,
  type NormalizedWorkerOptions,
  normalizeWorkerOptions,
} from './worker/worker-options.ts';
