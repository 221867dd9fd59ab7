import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/**
 * Error classes of @girder-worker/pipes. Each has a literal `name` and a stable `code`; the
 * `isXError()` guards match by either, so checks work across two installed copies of the package.
 */

/** Options every pipes error accepts. */
export interface PipeErrorOptions {
  /** The underlying failure, kept reachable for callers. */
  cause?: unknown;
}

/** Base class of every error this package throws on purpose (a `GirderWorkerError`). */
export class PipeError extends GirderWorkerError {
  /** Literal class name (survives minification and duplicate installs). */
  override name: string = 'PipeError';

  /**
   * @param message - What failed, on what, why, and what to do.
   * @param code - Stable code, e.g. `GW_PIPE_ERROR`.
   * @param options - `cause` when wrapping another failure.
   */
  constructor(message: string, code = 'GW_PIPE_ERROR', options: PipeErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/**
 * Thrown by `mkfifo()` when the FIFO cannot be created: the `mkfifo` command is missing, the
 * path already exists, or the directory is not writable. Carries the `path`.
 */
export class MkfifoError extends PipeError {
  override name: 'MkfifoError' = 'MkfifoError' as const;
  /** The FIFO path that could not be created. */
  readonly path: string;

  /**
   * @param path - The FIFO path.
   * @param message - Why it failed and what to do.
   * @param options - `cause`: the process or file-system error.
   */
  constructor(path: string, message: string, options: PipeErrorOptions = {}) {
    super(message, 'GW_MKFIFO_FAILED', options);
    this.path = path;
  }
}

/** Which end of a FIFO an error is about. */
export type FifoEnd = 'reader' | 'writer';

/**
 * The other side never opened the FIFO before the `until` promise settled (for example the
 * container exited without opening its pipe). `missing` names the end that never came.
 */
export class FifoPeerMissingError extends PipeError {
  override name: 'FifoPeerMissingError' = 'FifoPeerMissingError' as const;
  /** The FIFO path on the host. */
  readonly path: string;
  /** The end that never opened the FIFO. */
  readonly missing: FifoEnd;

  /**
   * @param path - The FIFO path on the host.
   * @param missing - The end that never opened it.
   */
  constructor(path: string, missing: FifoEnd) {
    super(
      `no ${missing} ever opened the named pipe ${path} before the other process finished: ` +
        `check that the program is given this path and opens it for ${missing === 'reader' ? 'reading' : 'writing'}`,
      'GW_FIFO_PEER_MISSING',
    );
    this.path = path;
    this.missing = missing;
  }
}

/**
 * The reader closed the FIFO while data was still being written (EPIPE): the consumer stopped
 * early or crashed. Carries the `path` and how many bytes had been written.
 */
export class FifoPeerClosedError extends PipeError {
  override name: 'FifoPeerClosedError' = 'FifoPeerClosedError' as const;
  /** The FIFO path on the host. */
  readonly path: string;
  /** Bytes the reader had accepted before it closed. */
  readonly bytesWritten: number;

  /**
   * @param path - The FIFO path on the host.
   * @param bytesWritten - Bytes written before the reader went away.
   * @param options - `cause`: the EPIPE error.
   */
  constructor(path: string, bytesWritten: number, options: PipeErrorOptions = {}) {
    super(
      `the reader of the named pipe ${path} closed it after ${bytesWritten} bytes, before all data ` +
        'was written: the consuming program stopped reading early or crashed',
      'GW_FIFO_PEER_CLOSED',
      options,
    );
    this.path = path;
    this.bytesWritten = bytesWritten;
  }
}

/**
 * The named pipe at a path is no longer the FIFO this run created: the container replaced it with
 * a symbolic link (possibly to another process's FIFO on the host) or with another file. The host
 * end is never opened through it. Carries the `path`.
 */
export class FifoReplacedError extends PipeError {
  override name: 'FifoReplacedError' = 'FifoReplacedError' as const;
  /** The FIFO's host path. */
  readonly path: string;

  /**
   * @param path - The FIFO's host path.
   * @param found - What is there now, e.g. `a symbolic link`.
   * @param options - `cause`: the open error, if any.
   */
  constructor(path: string, found: string, options: PipeErrorOptions = {}) {
    super(
      `the named pipe ${path} was replaced by ${found} (by the container?); it is not opened through ` +
        'that, so nothing on the host outside the run is read or written',
      'GW_FIFO_REPLACED',
      options,
    );
    this.path = path;
  }
}

/** The side of a connector: where the data comes from (`input`) or goes to (`output`). */
export type ConnectorSide = 'input' | 'output';

/**
 * A stream connector failed. `side` says which end failed first; the original error is `cause`.
 * Aborts are not wrapped: a connector whose signal aborts rejects with the signal's reason.
 */
export class ConnectorError extends PipeError {
  override name: 'ConnectorError' = 'ConnectorError' as const;
  /** The side that failed first. */
  readonly side: ConnectorSide;
  /** The connector's display name. */
  readonly connector: string;
  /** Bytes delivered to the output before the failure. */
  readonly bytesMoved: number;

  /**
   * @param connector - The connector's display name.
   * @param side - The side that failed.
   * @param bytesMoved - Bytes delivered before the failure.
   * @param cause - The original error.
   */
  constructor(connector: string, side: ConnectorSide, bytesMoved: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `stream ${connector} failed on its ${side} side after ${bytesMoved} bytes: ${reason}`,
      'GW_CONNECTOR_FAILED',
      { cause },
    );
    this.side = side;
    this.connector = connector;
    this.bytesMoved = bytesMoved;
  }
}

/**
 * A chunked HTTP upload got a non-2xx answer or failed on the network. Carries the `status`
 * (0 when no answer came), the start of the response `body`, and the `url` with its secrets
 * masked.
 */
export class HttpStreamError extends PipeError {
  override name: 'HttpStreamError' = 'HttpStreamError' as const;
  /** HTTP status, or 0 when the request failed before an answer. */
  readonly status: number;
  /** The first bytes (at most 4 KiB) of the response body, as text. */
  readonly body: string;
  /** The target URL with its secrets masked (`redactUrl` of @girder-worker/transforms). */
  readonly url: string;

  /**
   * @param url - The display form of the URL (its secrets masked).
   * @param status - HTTP status (0: no answer).
   * @param body - The start of the response body.
   * @param options - `cause`: the network error, if any.
   */
  constructor(url: string, status: number, body: string, options: PipeErrorOptions = {}) {
    super(
      status === 0
        ? `chunked upload to ${url} failed before an answer: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`
        : `chunked upload to ${url} failed with HTTP ${status}${body ? `: ${body}` : ''}`,
      'GW_HTTP_STREAM_FAILED',
      options,
    );
    this.status = status;
    this.body = body;
    this.url = url;
  }
}

/**
 * @param error - Any value.
 * @returns Whether it is a {@link PipeError} (or one of its subclasses), also from another copy.
 */
export function isPipeError(error: unknown): error is PipeError {
  return (
    error instanceof PipeError ||
    (typeof error === 'object' &&
      error !== null &&
      typeof (error as { code?: unknown }).code === 'string' &&
      /^GW_(PIPE_ERROR|NOT_A_FIFO|CONTAINER_STREAM_MISSING|MKFIFO_FAILED|FIFO_PEER_MISSING|FIFO_PEER_CLOSED|FIFO_REPLACED|CONNECTOR_FAILED|HTTP_STREAM_FAILED)$/.test(
        (error as { code: string }).code,
      ))
  );
}

/**
 * @param error - Any value.
 * @returns Whether it is a {@link FifoReplacedError}.
 */
export function isFifoReplacedError(error: unknown): error is FifoReplacedError {
  return hasErrorIdentity(error, 'FifoReplacedError', 'GW_FIFO_REPLACED');
}

/**
 * @param error - Any value.
 * @returns Whether it is a {@link MkfifoError}.
 */
export function isMkfifoError(error: unknown): error is MkfifoError {
  return hasErrorIdentity(error, 'MkfifoError', 'GW_MKFIFO_FAILED');
}

/**
 * @param error - Any value.
 * @returns Whether it is a {@link FifoPeerMissingError}.
 */
export function isFifoPeerMissingError(error: unknown): error is FifoPeerMissingError {
  return hasErrorIdentity(error, 'FifoPeerMissingError', 'GW_FIFO_PEER_MISSING');
}

/**
 * @param error - Any value.
 * @returns Whether it is a {@link FifoPeerClosedError}.
 */
export function isFifoPeerClosedError(error: unknown): error is FifoPeerClosedError {
  return hasErrorIdentity(error, 'FifoPeerClosedError', 'GW_FIFO_PEER_CLOSED');
}

/**
 * @param error - Any value.
 * @returns Whether it is a {@link ConnectorError}.
 */
export function isConnectorError(error: unknown): error is ConnectorError {
  return hasErrorIdentity(error, 'ConnectorError', 'GW_CONNECTOR_FAILED');
}

/**
 * @param error - Any value.
 * @returns Whether it is an {@link HttpStreamError}.
 */
export function isHttpStreamError(error: unknown): error is HttpStreamError {
  return hasErrorIdentity(error, 'HttpStreamError', 'GW_HTTP_STREAM_FAILED');
}
