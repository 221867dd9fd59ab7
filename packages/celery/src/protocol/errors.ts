import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/**
 * A Celery message this worker cannot read: wrong content type, a body that is not
 * `(args, kwargs, embed)`, a malformed header. Names the field (JSON path).
 */
export class CeleryProtocolError extends GirderWorkerError {
  override name = 'CeleryProtocolError' as const;
  /** The offending field, e.g. `headers.timelimit`. */
  readonly path: string;
  /**
   * @param path - the field
   * @param message - what was expected and what came
   * @param options - `cause`
   */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super('GW_CELERY_PROTOCOL', `${path}: ${message}`, options);
    this.path = path;
  }
}

/** True for a {@link CeleryProtocolError}, also from another copy of this package. */
export function isCeleryProtocolError(value: unknown): value is CeleryProtocolError {
  return hasErrorIdentity(value, 'CeleryProtocolError', 'GW_CELERY_PROTOCOL');
}
