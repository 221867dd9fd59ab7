import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/** A `py/object` names a class that is not in the mapping table: the task fails, nothing is run. */
export class UnknownClassError extends GirderWorkerError {
  override name = 'UnknownClassError' as const;
  /** The fully qualified Python class name from the message. */
  readonly className: string;
  /** Where it sits, e.g. `kwargs.container_args[1]`. */
  readonly path: string;
  /**
   * @param className - the class named in the message
   * @param path - its JSON path
   */
  constructor(className: string, path: string) {
    super(
      'GW_CELERY_UNKNOWN_CLASS',
      `${path}: unknown class '${className}': this worker maps only girder_worker's docker and Girder transforms; ` +
        'run this task on a Python girder_worker or use a supported transform',
    );
    this.className = className;
    this.path = path;
  }
}

/** True for an {@link UnknownClassError}, also from another copy of this package. */
export function isUnknownClassError(value: unknown): value is UnknownClassError {
  return hasErrorIdentity(value, 'UnknownClassError', 'GW_CELERY_UNKNOWN_CLASS');
}

/** A docker_run keyword argument (or GIRDER_WORKER_DOCKER_RUN_OPTIONS key) that is not mapped. */
export class UnknownKwargError extends GirderWorkerError {
  override name = 'UnknownKwargError' as const;
  /** The keyword argument. */
  readonly kwarg: string;
  /** Where it came from, e.g. `kwargs.ports`. */
  readonly path: string;
  /**
   * @param kwarg - the keyword
   * @param path - its JSON path
   */
  constructor(kwarg: string, path: string) {
    super(
      'GW_CELERY_UNKNOWN_KWARG',
      `${path}: the docker_run keyword argument '${kwarg}' is not supported by this worker ` +
        '(it is never silently dropped): remove it or run the task on a Python girder_worker',
    );
    this.kwarg = kwarg;
    this.path = path;
  }
}

/** True for an {@link UnknownKwargError}, also from another copy of this package. */
export function isUnknownKwargError(value: unknown): value is UnknownKwargError {
  return hasErrorIdentity(value, 'UnknownKwargError', 'GW_CELERY_UNKNOWN_KWARG');
}

/**
 * A known class or keyword with a value this worker cannot take (wrong type, an attribute shape
 * it does not know, a feature not supported yet). Names the JSON path and what was expected.
 */
export class MappingError extends GirderWorkerError {
  override name = 'MappingError' as const;
  /** Where, e.g. `kwargs.shm_size`. */
  readonly path: string;
  /**
   * @param path - the JSON path
   * @param message - what was expected and what came
   * @param options - `cause`
   */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super('GW_CELERY_MAPPING', `${path}: ${message}`, options);
    this.path = path;
  }
}

/** True for a {@link MappingError}, also from another copy of this package. */
export function isMappingError(value: unknown): value is MappingError {
  return hasErrorIdentity(value, 'MappingError', 'GW_CELERY_MAPPING');
}
