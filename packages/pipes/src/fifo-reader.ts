import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
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
import { DRAIN_INTO, type Drainable, LentChunks, OUTPUT_FAILURES } from './lent-chunks.ts';
import { type BootedPumpThread, PumpLender } from './pump-lender.ts';

/** Slabs a lent FIFO reader reads into: 2 × 1 MiB (a pipe hands over at most 64 KiB a read). */
const LENT_SLAB_BYTES = 1 << 20;
const LENT_SLABS = 2;

/** Readers given a booted pump thread (by {@link lendWithThread}) before they lend. */
const BOOTED = new WeakMap<FifoReadStream, BootedPumpThread>();

/** The path of one of our own descriptors: opens the same FIFO, whatever is at its path now. */
const ownFd = (fd: number): string => `/proc/self/fd/${fd}`;

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
  /** Set by {@link FifoReadStream.lend}: a pump thread reads into reused shared slabs. */
  #lender: PumpLender | undefined;
  /** Lent mode, once the pump reads: our read end kept open (the pump reopens it by its number). */
  #keeper: number | undefined;
  /** Lent mode: a write end held until the pump has opened its descriptor (so that open never waits). */
  #placeholder: number | undefined;
  /** Drain mode: our descriptor of the output file `cat` writes (closed after it). */
  #sinkFd: number | undefined;
  /** Drain mode: the running `cat`. */
  #cat: ChildProcess | undefined;
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
    return this.#lender ? this.#lender.bytesLent : this.#bytesRead;
  }

  /**
   * Reads the FIFO as {@link LentChunks} instead of as a Readable: once a writer has come, a
   * thread of its own (`worker_threads`) reads the pipe with blocking reads, like `cat`, into a
   * few reused shared slabs (2 × 1 MiB), each filled before it is lent; a consumer waiting with
   * part of a slab ready gets that part after a few milliseconds. Each chunk is lent until the
   * next is asked for, so moving any amount allocates nothing per chunk. Call it at once after
   * {@link openFifoReader}, before reading the stream; ending or leaving the iteration destroys
   * the stream (and stops the thread). A connector writing them into a plain `fs` write stream
   * (a `HostFileSink`) has `cat` copy the FIFO into the file instead: no byte passes through
   * this process, and no thread (about 12 MiB) is started.
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
    const lender = new PumpLender(
      LENT_SLAB_BYTES,
      LENT_SLABS,
      ({ code, message }) =>
        this.destroy(
          new PipeError(`${this.path}: reading the FIFO failed: ${message}`, code ?? 'GW_PIPE_ERROR'),
        ),
      BOOTED.get(this),
    );
    this.#lender = lender;
    this.on('error', (error) => lender.fail(error));
    // The iteration ends (or throws) only once the stream is closed: thread stopped, fds closed.
    const closed = async (): Promise<void> => {
      this.destroy();
      if (!this.closed) await new Promise((resolve) => this.once('close', resolve));
    };
    const chunks: LentChunks & Drainable = new LentChunks({
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<Uint8Array>> {
          let chunk: Uint8Array | undefined;
          try {
            chunk = await lender.next();
          } catch (error) {
            await closed();
            throw error;
          }
          if (chunk === undefined) {
            await closed();
            return { done: true, value: undefined };
          }
          return { done: false, value: chunk };
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          await closed();
          return { done: true, value: undefined };
        },
      }),
    });
    chunks[DRAIN_INTO] = async (fd, progress) => {
      try {
        // Our own descriptor of the file: the sink may close its own at any time (abort).
        const sink = openSync(ownFd(fd), constants.O_WRONLY);
        this.#sinkFd = sink;
        const writerCame = await lender.handedOver();
        const probed = lender.probedBytes;
        try {
          for (let done = 0; done < probed; ) done += writeSync(sink, lender.firstSlab, done, probed - done);
        } catch (error) {
          OUTPUT_FAILURES.add(error as Error);
          throw error;
        }
        progress(probed);
        if (writerCame) await this.#catInto(sink, progress);
      } finally {
        await closed();
      }
    };
    return chunks;
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
        ? wrapFifoDescriptor(fd, 'read', this.#probe(lender, fd))
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

  /**
   * Lent mode: the socket waits (epoll, no thread held) until a writer has come. Its first read
   * lands in the first slab; then the pump thread takes over, and the socket is closed.
   */
  #probe(lender: PumpLender, fd: number): { buffer: () => Uint8Array; callback: (n: number) => boolean } {
    return {
      buffer: () => lender.probeBuffer(),
      callback: (bytesRead) => {
        this.#bytesRead += bytesRead;
        lender.probed(bytesRead);
        try {
          this.#handOver(lender, fd);
        } catch (error) {
          process.nextTick(() => this.destroy(error as Error));
        }
        return false;
      },
    };
  }

  /**
   * Opens a second read end (kept until the end: the pump reopens the FIFO through it, and it
   * keeps the buffered bytes alive meanwhile) and a write end held until the pump has its own
   * descriptor (so that its blocking open returns at once), starts the pump, closes the socket.
   */
  #handOver(lender: PumpLender, fd: number): void {
    const keeper = openSync(ownFd(fd), constants.O_RDONLY | constants.O_NONBLOCK);
    this.#keeper = keeper;
    const placeholder = openSync(ownFd(fd), constants.O_WRONLY | constants.O_NONBLOCK);
    this.#placeholder = placeholder;
    const { dev, ino } = fstatSync(keeper);
    lender.start({ path: ownFd(keeper), dev, ino }, () => this.#closePlaceholder());
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.removeAllListeners('end');
    process.nextTick(() => socket?.destroy());
  }

  #closePlaceholder(): void {
    if (this.#placeholder === undefined) return;
    closeSync(this.#placeholder);
    this.#placeholder = undefined;
  }

  /**
   * Drain mode: `cat` reads the FIFO and writes `sink` (both inherited descriptors; no byte passes
   * through this process), blocking in both like the raw reference it is. Its input is a blocking
   * descriptor opened through our own read end (at once: our placeholder writer is open).
   */
  async #catInto(sink: number, progress: (bytes: number) => void): Promise<void> {
    // Destroyed meanwhile (abort): no `cat` may start after _destroy looked for one.
    if (this.destroyed || this.#keeper === undefined) {
      throw new PipeError(`${this.path}: the FIFO reader was destroyed`, 'GW_FIFO_READER_DESTROYED');
    }
    const input = openSync(ownFd(this.#keeper), constants.O_RDONLY);
    let child: ChildProcess;
    try {
      this.#closePlaceholder();
      child = spawn('cat', [], { stdio: [input, sink, 'pipe'] });
    } finally {
      closeSync(input);
    }
    this.#cat = child;
    let stderr = '';
    child.stderr?.on('data', (text: Buffer) => {
      if (stderr.length < 4096) stderr += String(text);
    });
    const ticker = setInterval(() => progress(fstatSync(sink).size), 250);
    try {
      const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
      if (code !== 0) {
        const detail = stderr.trim() || `exit ${code ?? signal}`;
        const error = new PipeError(
          `${this.path}: copying the FIFO into the file failed: ${detail}`,
          'GW_FIFO_COPY_FAILED',
        );
        if (/write error/.test(stderr)) OUTPUT_FAILURES.add(error);
        throw error;
      }
      progress(fstatSync(sink).size);
    } finally {
      clearInterval(ticker);
      this.#cat = undefined;
    }
  }

  /** Wakes a pump blocked in a read: one byte into the FIFO (a full pipe wakes it anyway). */
  #poke(): void {
    if (this.#keeper === undefined) return;
    try {
      const writer = openSync(ownFd(this.#keeper), constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(writer, Buffer.of(0));
      } catch {
        // EAGAIN: the pipe is full, so the pump is not waiting for bytes.
      } finally {
        closeSync(writer);
      }
    } catch {
      // Our read end is open, so opening a write end cannot fail for want of a reader.
    }
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
    const lender = this.#lender;
    if (!lender) {
      callback(error);
      return;
    }
    const cat = this.#cat;
    const catExited = cat && cat.exitCode === null && cat.signalCode === null ? once(cat, 'exit') : undefined;
    cat?.kill('SIGKILL');
    Promise.all([lender.stop(() => this.#poke()), catExited]).then(() => {
      this.#closePlaceholder();
      if (this.#keeper !== undefined) closeSync(this.#keeper);
      this.#keeper = undefined;
      if (this.#sinkFd !== undefined) closeSync(this.#sinkFd);
      this.#sinkFd = undefined;
      callback(error);
    });
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

/**
 * {@link FifoReadStream.lend}, with a pump thread booted beforehand (see `BootedPumpThread`): the
 * lender takes it over instead of booting one at the first chunk asked for.
 * @param reader - a reader not read yet
 * @param thread - the booted thread (its owner still closes it; a no-op once taken)
 * @returns the lent chunks
 */
export function lendWithThread(reader: FifoReadStream, thread: BootedPumpThread | undefined): LentChunks {
  if (thread) BOOTED.set(reader, thread);
  return reader.lend();
}
