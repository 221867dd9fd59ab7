/**
 * What girder-worker libraries log through. They never print: the application chooses the sink
 * (stderr, JSON lines, a Girder job log). Each method takes a message and optional structured
 * context (ids, counts — never secrets).
 */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, context?: Record<string, unknown>): void;
  /** Normal progress of a run. */
  info(message: string, context?: Record<string, unknown>): void;
  /** Something went wrong but the run goes on (e.g. a cleanup step failed). */
  warn(message: string, context?: Record<string, unknown>): void;
  /** A failure. */
  error(message: string, context?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that drops everything: the default of every library entry point. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
