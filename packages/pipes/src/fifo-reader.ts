import { constants } from 'node:fs';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { FifoPeerMissingError, PipeError } from './errors.ts';
import { normalizeFifoEndOptions } from './fifo-end-options.ts';
import {
  checkIdentity,
  closeQuietly,
  type FifoIdentity,
  openFifoDescriptor,
  wrapFifoDescriptor,
} from './fifo-fd.ts';
import { LentChunks } from './lent-chunks.ts';
import { SlabLender, type SocketOnRead } from './slab-lender.ts';

/** Slabs a lent FIFO reader reads into: 2 × 1 MiB (a pipe hands over at most 64 KiB a read). */
const LENT_SLAB_BYTES = 1 << 20;
const LENT_SLABS = 2;

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
  /**
   * The FIFO the path must still be (device and inode at creation): anything else there, such as
   * a link the container swapped in, fails the stream with a {@link FifoReplacedError}.
   * @default any FIFO (never through a symbolic link)
   */
  expect?: FifoIdentity;
}

interface NormalizedReaderOptions {
  signal: AbortSignal | undefined;
  until: PromiseLike<unknown> | undefined;
  onMissingWriter: 'error' | 'end';
  expect: FifoIdentity | undefined;
}

function normalize(options: FifoReaderOptions): NormalizedReaderOptions {
  const onMissingWriter = options.onMissingWriter ?? 'error';
  if (onMissingWriter !== 'error' && onMissingWriter !== 'end') {
    throw new TypeError(
      `openFifoReader options.onMissingWriter: expected 'error' or 'end', got ${String(onMissingWriter)}`,
    );
  }
  return {
    ...normalizeFifoEndOptions(options, 'openFifoReader'),
    onMissingWriter,
    expect: checkIdentity(options.expect, 'openFifoReader'),
  };
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
  /** Set by {@link FifoReadStream.lend}: reads go into reused slabs instead of fresh buffers. */
  #lender: SlabLender | undefined;
  #constructing = false;

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

  /**
   * Reads the FIFO as {@link LentChunks} instead of as a Readable: the pipe is read into a few
   * reused slabs (2 × 1 MiB) and each chunk is lent until the next is asked for, so moving any
   * amount allocates nothing per chunk. A consumer slower than the writer gets larger chunks.
   * Call it at once after {@link openFifoReader}, before reading the stream; ending or leaving
   * the iteration destroys the stream.
   * @returns The lent chunks.
   * @throws PipeError (`GW_FIFO_READER_STARTED`) when the stream has started reading already.
   * @example
   * ```ts
   * const chunks = openFifoReader('/tmp/work/out.fifo', { until: exited }).lend();
   * await createStreamConnector({ input: chunks, output: createWriteStream('/data/out.bin') }).start();
   * ```
   */
  lend(): LentChunks {
    if (this.#constructing || this.#lender || this.readableFlowing !== null || this.destroyed) {
      throw new PipeError(
        `${this.path}: lend() must be called before the FIFO reader is read (or lent) for the first time`,
        'GW_FIFO_READER_STARTED',
      );
    }
    const lender = new SlabLender(LENT_SLAB_BYTES, LENT_SLABS, () => this.#socket?.resume());
    this.#lender = lender;
    this.on('error', (error) => lender.fail(error));
    const stream = this;
    return new LentChunks({
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<Uint8Array>> {
          const chunk = await lender.next();
          if (chunk === undefined) {
            stream.destroy();
            return { done: true, value: undefined };
          }
          return { done: false, value: chunk };
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          stream.destroy();
          return { done: true, value: undefined };
        },
      }),
    });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.#constructing = true;
    const { signal, until } = this.#options;
    if (signal?.aborted) {
      callback(signal.reason);
      return;
    }
    openFifoDescriptor(this.path, constants.O_RDONLY, this.#options.expect).then((fd) => {
      if (this.destroyed) {
        closeQuietly(fd);
        callback();
        return;
      }
      // Aborted while the open was on the thread pool (slow on a busy machine).
      if (signal?.aborted) {
        closeQuietly(fd);
        callback(signal.reason);
        return;
      }
      const lender = this.#lender;
      const socket = lender
        ? wrapFifoDescriptor(fd, 'read', this.#countingOnRead(lender))
        : wrapFifoDescriptor(fd, 'read');
      this.#socket = socket;
      if (!lender) {
        socket.on('data', (chunk: Buffer) => {
          this.#bytesRead += chunk.length;
          if (!this.push(chunk)) socket.pause();
        });
      }
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

  /** The lender's `onread`, counting the bytes read. */
  #countingOnRead(lender: SlabLender): SocketOnRead {
    return {
      buffer: lender.onread.buffer,
      callback: (bytesRead, buffer) => {
        this.#bytesRead += bytesRead;
        return lender.onread.callback(bytesRead, buffer);
      },
    };
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
    if (this.#lender) this.#lender.end();
    else this.push(null);
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
      openFifoDescriptor(this.path, constants.O_WRONLY, this.#options.expect).then(closeQuietly, () => {
        // The read end is gone already (destroyed meanwhile): nothing left to wake.
      });
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
    // A lent iteration still waiting learns why the stream went away.
    if (!this.#ended)
      this.#lender?.fail(
        error ?? new PipeError(`${this.path}: the FIFO reader was destroyed`, 'GW_FIFO_READER_DESTROYED'),
      );
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
