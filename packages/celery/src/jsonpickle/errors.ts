import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/**
 * A jsonpickle document that cannot be decoded (or a value that cannot be encoded): an unknown
 * or unsupported `py/` tag, a dangling `py/id`, malformed bytes or JSON. Carries the JSON path.
 */
export class JsonPickleError extends GirderWorkerError {
  override name = 'JsonPickleError' as const;
  /** Where in the document, e.g. `body[1].container_args[3]`. */
  readonly path: string;
  /**
   * @param path - the JSON path of the offending node
   * @param message - what is wrong there and what was expected
   */
  constructor(path: string, message: string) {
    super('GW_CELERY_JSONPICKLE', `${path || '(root)'}: ${message}`);
    this.path = path;
  }
}

/** True for a {@link JsonPickleError}, also from another copy of this package. */
export function isJsonPickleError(value: unknown): value is JsonPickleError {
  return hasErrorIdentity(value, 'JsonPickleError', 'GW_CELERY_JSONPICKLE');
}
