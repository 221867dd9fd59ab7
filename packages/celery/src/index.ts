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
export { decodeJsonPickle, decodeJsonPickleText } from './jsonpickle/decode.ts';
export { encodeJsonPickle, type JsonValue } from './jsonpickle/encode.ts';
export { isJsonPickleError, JsonPickleError } from './jsonpickle/errors.ts';
export {
  isPyDict,
  newPyDict,
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
export { type OrderedJson, parseOrderedJson } from './jsonpickle/ordered-json.ts';
export {
  CLASS_TABLE,
  type ClassMapper,
  type ClassMappingContext,
  DOCKER_TRANSFORMS,
  GIRDER_TRANSFORMS,
  UTILS_GIRDER_IO,
} from './mapping/class-table.ts';
export {
  type CreateOptions,
  DOCKER_KWARGS,
  type HostConfig,
  type KwargMapper,
  type MappedDockerRun,
  parseBytes,
} from './mapping/docker-kwargs.ts';
export {
  isMappingError,
  isUnknownClassError,
  isUnknownKwargError,
  MappingError,
  UnknownClassError,
  UnknownKwargError,
} from './mapping/errors.ts';
export {
  DOCKER_RUN_OPTIONS_VARIABLE,
  DOCKER_RUN_POSITIONAL,
  type MapDockerRunOptions,
  type MappedDockerRunTask,
  mapDockerRun,
} from './mapping/map-docker-run.ts';
export { type GirderClientSpec, ValueMapper, type ValueMapperOptions } from './mapping/map-value.ts';
export {
  type GirderHookOptions,
  WithGirderClient,
  WithGirderClientHook,
} from './mapping/with-girder-client.ts';
export { type BuildDockerRunOptions, buildDockerRunMessage } from './protocol/build-message.ts';
export { CeleryProtocolError, isCeleryProtocolError } from './protocol/errors.ts';
export { type JobInfoSpec, parseJobInfoSpec } from './protocol/job-info-spec.ts';
export { type CeleryTask, parseCeleryTask, readJobInfoSpec } from './protocol/parse-message.ts';
export { type PickledGirderClient, Pickler } from './protocol/to-pickle.ts';
export { type PublishDockerRunOptions, publishDockerRun } from './publish/publish-docker-run.ts';
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
export { createDockerRunHandler, type DockerRunHandlerOptions } from './run/docker-run-handler.ts';
export {
  isJobUpdateError,
  isTaskTimeLimitError,
  JobUpdateError,
  TaskTimeLimitError,
} from './run/errors.ts';
export { type FailureText, failureText } from './run/failure-text.ts';
export { JobLogSink, type LogWriter } from './run/job-log-sink.ts';
export { JobInfoReporter, type JobInfoReporterOptions } from './run/job-reporter.ts';
export type { RawCeleryMessage, TaskContext, TaskHandler, TaskOutcome } from './task.ts';
export { TaskRevokedError } from './task.ts';
export { DOCKER_RUN_TASK } from './task-name.ts';
export { type CeleryWorker, createCeleryWorker } from './worker/celery-worker.ts';
export { InvalidWorkerOptionsError, WorkerShutdownError } from './worker/errors.ts';
export {
  type CeleryWorkerOptions,
  type NormalizedWorkerOptions,
  normalizeWorkerOptions,
} from './worker/worker-options.ts';
