import { constants } from 'node:fs';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { FifoPeerMissingError } from './errors.ts';
import { normalizeFifoEndOptions } from './fifo-end-options.ts';
import { closeQuietly, openFifoDescriptor, wrapFifoDescriptor } from './fifo-fd.ts';

/** Options of {@link openFifoReader}. */
export interface FifoReaderOptions {
  /** Destroys the stream with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Settles when no writer can come any more (for example: the container exited). Data still
   * buffered in the pipe is then read, and the stream ends. Without it the stream waits for a
   * writer as long as it takes (or until `signal` aborts).
   */
  until?: PromiseLike<unknown>;
  /**
   * What to do when `until` settles and no byte has arrived by then (no writer came, or one came
   * and is gone without writing): `'error'` destroys the stream with a
   * {@link FifoPeerMissingError}, `'end'` ends it empty.
   * @default 'error'
   */
  onMissingWriter?: 'error' | 'end';
}

interface NormalizedReaderOptions {
  signal: AbortSignal | undefined;
  until: PromiseLike<unknown> | undefined;
  onMissingWriter: 'error' | 'end';
}

function normalize(options: FifoReaderOptions): NormalizedReaderOptions {
  const onMissingWriter = options.onMissingWriter ?? 'error';
  if (onMissingWriter !== 'error' && onMissingWriter !== 'end') {
    throw new TypeError(
      `openFifoReader options.onMissingWriter: expected 'error' or 'end', got ${String(onMissingWriter)}`,
    );
  }
  return { ...normalizeFifoEndOptions(options, 'openFifoReader'), onMissingWriter };
}

/**
 * A Readable over the read end of a FIFO. The descriptor is opened non-blocking and read through
 * libuv's pipe handle (epoll), so waiting for a writer holds neither the event loop nor a
 * thread-pool thread. The stream does not end before a writer has come and gone.
 */
export class FifoReadStream extends Readable {
  /** The FIFO's path. */
  readonly path: string;
  readonly #options: NormalizedReaderOptions;
  #socket: Socket | undefined;
  #bytesRead = 0;
  #ended = false;
  #untilSettled = false;
  #onAbort: (() => void) | undefined;

  /**
   * Prefer {@link openFifoReader}.
   * @param path - The FIFO's path.
   * @param options - See {@link FifoReaderOptions}.
   */
  constructor(path: string, options: FifoReaderOptions = {}) {
    if (typeof path !== 'string' || path === '') {
      throw new TypeError(`openFifoReader path: expected a non-empty string, got ${String(path)}`);
    }
    const normalized = normalize(options);
    super();
    this.path = path;
    this.#options = normalized;
  }

  /** Bytes read from the FIFO so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const { signal, until } = this.#options;
    if (signal?.aborted) {
      callback(signal.reason);
      return;
    }
    openFifoDescriptor(this.path, constants.O_RDONLY).then((fd) => {
      if (this.destroyed) {
        closeQuietly(fd);
        callback();
        return;
      }
      const socket = wrapFifoDescriptor(fd, 'read');
      this.#socket = socket;
      socket.on('data', (chunk: Buffer) => {
        this.#bytesRead += chunk.length;
        if (!this.push(chunk)) socket.pause();
      });
      socket.on('end', () => this.#onEof());
      socket.on('error', (error) => this.destroy(error));
      if (signal) {
        this.#onAbort = () => this.destroy(signal.reason);
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
      if (until) {
        const settled = (): void => this.#onUntil();
        until.then(settled, settled);
      }
      callback();
    }, callback);
  }

  override _read(): void {
    this.#socket?.resume();
  }

  #onEof(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#untilSettled && this.#bytesRead === 0 && this.#options.onMissingWriter === 'error') {
      this.destroy(new FifoPeerMissingError(this.path, 'writer'));
      return;
    }
    this.push(null);
  }

  /**
   * No writer can come any more. A writer that came and went has already produced EOF (the
   * kernel reports the hang-up at once); let pending events run, then open and close a write
   * end ourselves: the reader then drains what is buffered and sees EOF.
   */
  #onUntil(): void {
    setImmediate(() => {
      if (this.#ended || this.destroyed) return;
      this.#untilSettled = true;
      openFifoDescriptor(this.path, constants.O_WRONLY).then(closeQuietly, () => {
        // The read end is gone already (destroyed meanwhile): nothing left to wake.
      });
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#ended = true;
    this.#socket?.destroy();
    callback(error);
  }
}

/**
 * Opens the read end of a FIFO without blocking and returns it as a Readable at once.
 *
 * @param path - The FIFO's path.
 * @param options - Signal, `until` and missing-writer policy; see {@link FifoReaderOptions}.
 * @returns A Readable that ends once the writer has closed the FIFO.
 * @throws Through the stream's `error` event: the open error (e.g. ENOENT), a PipeError
 * (`GW_NOT_A_FIFO`) when the path is no FIFO, {@link FifoPeerMissingError}, or the abort reason.
 * @example
 * ```ts
 * const reader = openFifoReader('/tmp/work/out.fifo', { signal, until: containerExited });
 * await pipeline(reader, createWriteStream('/tmp/work/result.bin'));
 * ```
 */
export function openFifoReader(path: string, options: FifoReaderOptions = {}): FifoReadStream {
  return new FifoReadStream(path, options);
}
