import { constants } from 'node:fs';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { FifoPeerClosedError, FifoPeerMissingError } from './errors.ts';
import { normalizeFifoEndOptions } from './fifo-end-options.ts';
import {
  checkIdentity,
  closeQuietly,
  type FifoIdentity,
  openFifoDescriptor,
  wrapFifoDescriptor,
} from './fifo-fd.ts';

/** Options of {@link openFifoWriter}. */
export interface FifoWriterOptions {
  /** Destroys the stream with the signal's reason (also while waiting for a reader). */
  signal?: AbortSignal;
  /**
   * Settles when no reader can come any more (for example: the container exited). If no reader
   * opened the FIFO by then, the stream fails with a {@link FifoPeerMissingError}.
   */
  until?: PromiseLike<unknown>;
  /**
   * Longest pause between two attempts to open the FIFO while no reader has it open. Attempts
   * start 1 ms apart and back off to this.
   * @default 50
   */
  maxRetryDelayMs?: number;
  /**
   * The FIFO the path must still be (device and inode at creation): anything else there, such as
   * a link the container swapped in, fails the stream with a {@link FifoReplacedError}.
   * @default any FIFO (never through a symbolic link)
   */
  expect?: FifoIdentity;
}

interface NormalizedWriterOptions {
  signal: AbortSignal | undefined;
  until: PromiseLike<unknown> | undefined;
  maxRetryDelayMs: number;
  expect: FifoIdentity | undefined;
}

function normalize(options: FifoWriterOptions): NormalizedWriterOptions {
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 50;
  if (!Number.isFinite(maxRetryDelayMs) || maxRetryDelayMs < 1) {
    throw new TypeError(
      `openFifoWriter options.maxRetryDelayMs: expected a number >= 1, got ${String(maxRetryDelayMs)}`,
    );
  }
  return {
    ...normalizeFifoEndOptions(options, 'openFifoWriter'),
    maxRetryDelayMs,
    expect: checkIdentity(options.expect, 'openFifoWriter'),
  };
}

/**
 * A Writable over the write end of a FIFO. It opens the FIFO non-blocking, retrying while no
 * reader has it open (ENXIO), and writes through libuv's pipe handle (epoll): partial writes are
 * completed, never dropped, and nothing blocks the event loop or the thread pool.
 */
export class FifoWriteStream extends Writable {
  /** The FIFO's path. */
  readonly path: string;
  readonly #options: NormalizedWriterOptions;
  /** Aborted by destroy(): stops the open loop. */
  readonly #stop = new AbortController();
  #socket: Socket | undefined;
  #bytesWritten = 0;
  #untilSettled = false;
  #onAbort: (() => void) | undefined;

  /**
   * Prefer {@link openFifoWriter}.
   * @param path - The FIFO's path.
   * @param options - See {@link FifoWriterOptions}.
   */
  constructor(path: string, options: FifoWriterOptions = {}) {
    if (typeof path !== 'string' || path === '') {
      throw new TypeError(`openFifoWriter path: expected a non-empty string, got ${String(path)}`);
    }
    const normalized = normalize(options);
    super();
    this.path = path;
    this.#options = normalized;
    const { until, signal } = this.#options;
    if (until) {
      const settled = (): void => {
        this.#untilSettled = true;
      };
      until.then(settled, settled);
    }
    if (signal) {
      this.#onAbort = () => this.destroy(signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Bytes the reader's pipe has accepted so far. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Whether a reader was found and the FIFO is open for writing. */
  get opened(): boolean {
    return this.#socket !== undefined;
  }

  override destroy(error?: Error): this {
    this.#stop.abort(error);
    return super.destroy(error);
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.#open().then(
      (socket) => {
        if (socket) {
          this.#socket = socket;
          socket.on('error', (error) => this.destroy(this.#mapError(error)));
          this.emit('open');
        }
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  async #open(): Promise<Socket | undefined> {
    const { signal, until, maxRetryDelayMs } = this.#options;
    let delay = 1;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      if (this.#stop.signal.aborted) return undefined;
      const untilSettledBefore = this.#untilSettled;
      try {
        const fd = await openFifoDescriptor(this.path, constants.O_WRONLY, this.#options.expect);
        if (this.#stop.signal.aborted) {
          closeQuietly(fd);
          return undefined;
        }
        return wrapFifoDescriptor(fd, 'write');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      }
      // No reader. If none could come any more when we tried, give up.
      if (untilSettledBefore) throw new FifoPeerMissingError(this.path, 'reader');
      await this.#pause(delay, until);
      delay = Math.min(delay * 2, maxRetryDelayMs);
    }
  }

  /** Waits `ms`, or less when the stream is destroyed or `until` settles. */
  #pause(ms: number, until: PromiseLike<unknown> | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#stop.signal.addEventListener('abort', done, { once: true });
      until?.then(done, done);
    });
  }

  #mapError(error: Error): Error {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') {
      return new FifoPeerClosedError(this.path, this.#bytesWritten, { cause: error });
    }
    return error;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const socket = this.#socket;
    if (!socket) {
      callback();
      return;
    }
    socket.write(chunk, (error) => {
      if (error) {
        callback(this.#mapError(error));
        return;
      }
      this.#bytesWritten += chunk.length;
      callback();
    });
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    const socket = this.#socket;
    if (!socket) {
      callback();
      return;
    }
    let size = 0;
    socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) {
      const { chunk } = chunks[i] as { chunk: Buffer };
      size += chunk.length;
      socket.write(chunk);
    }
    const last = (chunks[chunks.length - 1] as { chunk: Buffer }).chunk;
    size += last.length;
    socket.write(last, (error) => {
      if (error) {
        callback(this.#mapError(error));
        return;
      }
      this.#bytesWritten += size;
      callback();
    });
    socket.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    const socket = this.#socket;
    if (!socket) {
      callback();
      return;
    }
    socket.end((error?: Error | null) => {
      socket.destroy();
      callback(error ? this.#mapError(error) : undefined);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#socket?.destroy();
    callback(error);
  }
}

/**
 * Opens the write end of a FIFO without blocking and returns it as a Writable at once. Writes
 * wait (buffered up to the high-water mark, with backpressure) until a reader opens the FIFO.
 *
 * @param path - The FIFO's path.
 * @param options - Signal, `until` and retry pacing; see {@link FifoWriterOptions}.
 * @returns A Writable; it emits `open` once a reader is connected.
 * @throws Through the stream's `error` event: {@link FifoPeerMissingError} when `until` settles
 * before any reader came, {@link FifoPeerClosedError} when the reader closes early, the open
 * error (ENOENT…), a PipeError (`GW_NOT_A_FIFO`) when the path is no FIFO, or the abort reason.
 * @example
 * ```ts
 * const writer = openFifoWriter('/tmp/work/in.fifo', { signal, until: containerExited });
 * await pipeline(createReadStream('/data/input.bin'), writer);
 * ```
 */
export function openFifoWriter(path: string, options: FifoWriterOptions = {}): FifoWriteStream {
  return new FifoWriteStream(path, options);
}
