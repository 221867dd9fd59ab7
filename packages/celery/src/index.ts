/**
 * `@girder-worker/celery`: Girder's Celery queue. Consumes (and publishes) girder_worker's
 * `docker_run` messages on Redis and RabbitMQ.
 * @packageDocumentation
 */

/** The Celery task name girder_worker's `docker_run` is published under. */
export const DOCKER_RUN_TASK = 'girder_worker.docker.tasks.docker_run';

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
