/**
 * Internal: the exceptions Girder's REST layer turns into JSON error bodies
 * (girder/api/rest.py `_handleRestException`, `_handleAccessException`,
 * `_handleValidationException`, `_handleGirderException`).
 */
export type RestErrorType = 'rest' | 'access' | 'validation' | 'girder' | 'internal';

/** Internal: an error answered as `{ message, type, field? }` with an HTTP status. */
export class RestError extends Error {
  override readonly name = 'RestError' as const;
  /** The Girder error type, written as `type` in the body. */
  readonly type: RestErrorType;
  /** The HTTP status; for `access`, decided from the request's user (401 without one, else 403). */
  readonly status: number | undefined;
  /** The parameter at fault (validation errors). */
  readonly field: string | undefined;

  /**
   * @param type - The Girder error type.
   * @param message - The message Girder would give.
   * @param options - `status` (default by type) and `field`.
   */
  constructor(type: RestErrorType, message: string, options: { status?: number; field?: string } = {}) {
    super(message);
    this.type = type;
    this.status = options.status;
    this.field = options.field;
  }
}

/**
 * A user error in the REST layer (Girder's RestException): 400 unless told otherwise.
 *
 * @param message - The message.
 * @param status - The HTTP status.
 * @returns The error to throw.
 */
export function restError(message: string, status = 400): RestError {
  return new RestError('rest', message, { status });
}

/**
 * A validation error (Girder's ValidationException): 400 with an optional `field`.
 *
 * @param message - The message.
 * @param field - The field at fault.
 * @returns The error to throw.
 */
export function validationError(message: string, field?: string): RestError {
  return new RestError('validation', message, field === undefined ? {} : { field });
}

/**
 * An access error (Girder's AccessException): 401 when the request has no user, else 403.
 *
 * @param message - The message.
 * @returns The error to throw.
 */
export function accessError(message: string): RestError {
  return new RestError('access', message);
}
