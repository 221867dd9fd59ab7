/**
 * Where the client logs (structurally the same as `@girder-worker/transforms`' Logger, so one
 * logger serves both). The client never logs a token.
 */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, context?: Record<string, unknown>): void;
  /** Normal events. */
  info(message: string, context?: Record<string, unknown>): void;
  /** Something went wrong but was handled (e.g. a retried chunk). */
  warn(message: string, context?: Record<string, unknown>): void;
  /** A failure. */
  error(message: string, context?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that drops everything (the default). */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
