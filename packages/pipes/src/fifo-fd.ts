import { close, constants, fstat, open } from 'node:fs';
import { Socket } from 'node:net';
import { PipeError } from './errors.ts';

/** Opens `path` with `flags | O_NONBLOCK` and checks that it is a FIFO; never blocks. */
export function openFifoDescriptor(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, flags | constants.O_NONBLOCK, (openError, fd) => {
      if (openError) {
        reject(openError);
        return;
      }
      fstat(fd, (statError, stats) => {
        if (statError || !stats.isFIFO()) {
          close(fd, () => {
            reject(
              statError ??
                new PipeError(
                  `${path} is not a named pipe (FIFO): create it with mkfifo() or point at an existing FIFO`,
                  'GW_NOT_A_FIFO',
                ),
            );
          });
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
 * With `onread`, reads go into the caller's memory (see `SlabLender`) instead of fresh buffers.
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
