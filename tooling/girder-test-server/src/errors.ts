/** Codes of the errors this package throws to its caller (not the HTTP errors it answers with). */
export type GirderTestServerErrorCode =
  | 'GIRDER_TEST_SERVER_INVALID_OPTION'
  | 'GIRDER_TEST_SERVER_INVALID_SEED'
  | 'GIRDER_TEST_SERVER_NOT_FOUND';

/**
 * An error thrown by the test server's own API (invalid options, a direct state call naming a
 * document that does not exist). HTTP clients never see it: they get Girder's JSON error bodies.
 */
export class GirderTestServerError extends Error {
  override readonly name = 'GirderTestServerError' as const;
  /** A stable code for programmatic checks. */
  readonly code: GirderTestServerErrorCode;

  /**
   * @param code - The stable error code.
   * @param message - What failed, on what, why and what to do.
   * @param options - `cause` when wrapping another error.
   */
  constructor(code: GirderTestServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Tells whether a value is a {@link GirderTestServerError} (also across two copies of the package).
 *
 * @param value - Anything caught.
 * @returns `true` when `value` is a GirderTestServerError by name.
 */
export function isGirderTestServerError(value: unknown): value is GirderTestServerError {
  return value instanceof Error && value.name === 'GirderTestServerError';
}
