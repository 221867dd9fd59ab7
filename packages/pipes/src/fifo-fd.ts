import { close, constants, fstat, open } from 'node:fs';
import { Socket } from 'node:net';
import { FifoReplacedError, PipeError } from './errors.ts';

/** Which FIFO a path must still be when it is opened: device and inode, as lstat gave them at creation. */
export interface FifoIdentity {
  /** Device number. */
  readonly dev: number;
  /** Inode number. */
  readonly ino: number;
  /** Birth time, when known: tells a new FIFO that reused our inode number apart. */
  readonly birthtimeMs?: number;
}

/** Whether `stats` describe the FIFO `identity` names. */
export function sameFifo(
  stats: { dev: number; ino: number; birthtimeMs: number },
  identity: FifoIdentity,
): boolean {
  return (
    stats.dev === identity.dev &&
    stats.ino === identity.ino &&
    (identity.birthtimeMs === undefined || stats.birthtimeMs === identity.birthtimeMs)
  );
}

/** Validates an `expect` option. @throws TypeError naming the option */
export function checkIdentity(value: FifoIdentity | undefined, where: string): FifoIdentity | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    !Number.isInteger(value.dev) ||
    !Number.isInteger(value.ino)
  ) {
    throw new TypeError(`${where} options.expect: expected { dev, ino } integers from an lstat of the FIFO`);
  }
  if (value.birthtimeMs !== undefined && !Number.isFinite(value.birthtimeMs)) {
    throw new TypeError(`${where} options.expect.birthtimeMs: expected a number`);
  }
  return value.birthtimeMs === undefined
    ? { dev: value.dev, ino: value.ino }
    : { dev: value.dev, ino: value.ino, birthtimeMs: value.birthtimeMs };
}

/**
 * Opens `path` with `flags | O_NONBLOCK | O_NOFOLLOW` and checks that it is a FIFO (and, with
 * `expected`, the very FIFO created for the run); never blocks, never follows a symbolic link.
 * @throws {@link FifoReplacedError} for a link or another FIFO in its place, a PipeError
 * (`GW_NOT_A_FIFO`) for something that is no FIFO, else the open error
 */
export function openFifoDescriptor(path: string, flags: number, expected?: FifoIdentity): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, flags | constants.O_NONBLOCK | constants.O_NOFOLLOW, (openError, fd) => {
      if (openError) {
        reject(
          openError.code === 'ELOOP'
            ? new FifoReplacedError(path, 'a symbolic link', { cause: openError })
            : openError,
        );
        return;
      }
      fstat(fd, (statError, stats) => {
        let problem: Error | null = statError;
        if (!problem && !stats.isFIFO()) {
          problem = expected
            ? new FifoReplacedError(path, 'something that is not a named pipe')
            : new PipeError(
                `${path} is not a named pipe (FIFO): create it with mkfifo() or point at an existing FIFO`,
                'GW_NOT_A_FIFO',
              );
        } else if (!problem && expected && !sameFifo(stats, expected)) {
          problem = new FifoReplacedError(path, 'another named pipe');
        }
        if (problem) {
          const error = problem;
          close(fd, () => reject(error));
          return;
        }
        resolve(fd);
      });
    });
  });
}

/** Closes a descriptor, ignoring errors (used only where the descriptor was never wrapped). */
export function closeQuietly(fd: number): void {
  close(fd, () => {});
}

/**
 * Wraps a non-blocking FIFO descriptor in a libuv pipe handle (epoll driven; no thread-pool
 * reads or writes). The socket owns the descriptor from now on: destroying it closes the fd.
 * With `onread`, reads go into the caller's memory instead of fresh buffers.
 */
export function wrapFifoDescriptor(
  fd: number,
  direction: 'read' | 'write',
  onread?: { buffer: () => Uint8Array; callback: (bytesRead: number, buffer: Uint8Array) => boolean },
): Socket {
  return new Socket({
    fd,
    readable: direction === 'read',
    writable: direction === 'write',
    allowHalfOpen: true,
    ...(onread ? { onread } : {}),
  });
}
