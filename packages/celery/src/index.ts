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
export type { RawCeleryMessage, TaskContext, TaskHandler, TaskOutcome } from './task.ts';
export { TaskRevokedError } from './task.ts';
