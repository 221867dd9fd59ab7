import { Readable, type TransformCallback, Transform as TransformStream, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '@girder-worker/transforms';
import { ConnectorError, type ConnectorSide } from './errors.ts';
import { isLentChunks, type LentChunks, pumpLent } from './lent-chunks.ts';

/** What a source or sink factory receives when the connector starts. */
export interface EndpointOptions {
  /** Aborts when the connector is closed or its caller's signal aborts. */
  signal: AbortSignal;
  /** Settles when the other process can no longer open its side (e.g. the container exited). */
  until?: PromiseLike<unknown> | undefined;
}

/**
 * A ready stream of bytes: a Readable, any async iterable of byte chunks, or {@link LentChunks}
 * (chunks valid only until the next step, written without a copy where the sink allows).
 */
export type ByteSource = Readable | AsyncIterable<Uint8Array> | LentChunks;

/**
 * Where a connector reads from: a Readable, an async iterable of byte chunks, or a function
 * returning one of those (called when the connector starts, so a download begins only then).
 */
export type StreamSource = ByteSource | ((options: EndpointOptions) => ByteSource | Promise<ByteSource>);

/** Where a connector writes to: a Writable, or a function returning one (called at start). */
export type StreamSink = Writable | ((options: EndpointOptions) => Writable | Promise<Writable>);

/** Options of {@link createStreamConnector}. */
export interface StreamConnectorOptions {
  /** Where the bytes come from. */
  input: StreamSource;
  /** Where the bytes go. */
  output: StreamSink;
  /**
   * Display name used in errors and logs (never a secret).
   * @default 'stream'
   */
  name?: string;
  /** Aborts the transfer; `done` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Handed to source and sink factories (see {@link EndpointOptions.until}). */
  until?: PromiseLike<unknown>;
  /**
   * Receives a debug line when the transfer ends.
   * @default silent
   */
  logger?: Logger;
}

/** What a finished connector reports. */
export interface ConnectorResult {
  /** Bytes delivered to the output. */
  bytesMoved: number;
}

function isReadable(value: unknown): value is Readable {
  return value instanceof Readable;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

function isWritable(value: unknown): value is Writable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Writable).write === 'function' &&
    typeof (value as Writable).end === 'function' &&
    typeof (value as Writable).on === 'function'
  );
}

/** A running count of the bytes delivered. */
interface Moved {
  bytes: number;
}

/** Counts the bytes that pass on to the sink; it adds no buffering beyond the stream defaults. */
class ByteCounter extends TransformStream {
  readonly #moved: Moved;
  constructor(moved: Moved) {
    super();
    this.#moved = moved;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#moved.bytes += chunk.length;
    callback(null, chunk);
  }
}

/**
 * Moves bytes from a source to a sink with `stream.pipeline`: backpressure end to end, every
 * stage torn down when one fails, errors that say which side failed first. The docker runner
 * starts one per `Connect`/`ProgressPipe` and awaits `done` after the container exits.
 */
export class StreamConnector implements AsyncDisposable {
  /** Display name used in errors and logs. */
  readonly name: string;
  /**
   * Settles when the transfer ends: resolves with the byte count, rejects with a
   * {@link ConnectorError} (or the abort reason when aborted). Rejections are marked handled,
   * so a connector nobody awaits does not crash the process.
   */
  readonly done: Promise<ConnectorResult>;
  readonly #input: StreamSource;
  readonly #output: StreamSink;
  readonly #until: PromiseLike<unknown> | undefined;
  readonly #logger: Logger | undefined;
  readonly #controller = new AbortController();
  readonly #signal: AbortSignal;
  readonly #resolve: (result: ConnectorResult) => void;
  readonly #reject: (error: unknown) => void;
  readonly #moved: Moved = { bytes: 0 };
  #started = false;
  #closing: Promise<void> | undefined;

  /**
   * Prefer {@link createStreamConnector}.
   * @param options - See {@link StreamConnectorOptions}.
   */
  constructor(options: StreamConnectorOptions) {
    const { input, output } = options;
    if (!isReadable(input) && !isAsyncIterable(input) && typeof input !== 'function') {
      throw new TypeError(
        'createStreamConnector options.input: expected a Readable, an async iterable or a function returning one',
      );
    }
    if (!isWritable(output) && typeof output !== 'function') {
      throw new TypeError(
        'createStreamConnector options.output: expected a Writable or a function returning one',
      );
    }
    this.name = options.name ?? 'stream';
    this.#input = input;
    this.#output = output;
    this.#until = options.until;
    this.#logger = options.logger;
    this.#signal = options.signal
      ? AbortSignal.any([options.signal, this.#controller.signal])
      : this.#controller.signal;
    const { promise, resolve, reject } = Promise.withResolvers<ConnectorResult>();
    promise.catch(() => {});
    this.done = promise;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Bytes delivered to the output so far. */
  get bytesMoved(): number {
    return this.#moved.bytes;
  }

  /** Whether {@link StreamConnector.start} was called. */
  get started(): boolean {
    return this.#started;
  }

  /**
   * Starts the transfer (once; later calls return the same `done`).
   * @returns {@link StreamConnector.done}.
   */
  start(): Promise<ConnectorResult> {
    if (!this.#started) {
      this.#started = true;
      this.#run().then(this.#resolve, this.#reject);
    }
    return this.done;
  }

  /**
   * Aborts the transfer if it is still running and waits until every stage is torn down.
   * Idempotent; never rejects (the outcome stays in `done`).
   * @param reason - Abort reason (an AbortError when omitted).
   */
  close(reason?: unknown): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#started) {
        this.#started = true;
        this.#controller.abort(reason);
        this.#reject(this.#controller.signal.reason);
        if (isReadable(this.#input)) this.#input.destroy();
        if (isWritable(this.#output)) (this.#output as Writable).destroy();
        return;
      }
      this.#controller.abort(reason);
      await this.done.then(
        () => {},
        () => {},
      );
    })();
    return this.#closing;
  }

  /** Same as {@link StreamConnector.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(): Promise<ConnectorResult> {
    const signal = this.#signal;
    const endpoint: EndpointOptions = { signal, until: this.#until };
    let failed: { side: ConnectorSide; error: unknown } | undefined;
    const record = (side: ConnectorSide) => (error: unknown) => {
      if (!failed && !signal.aborted) failed = { side, error };
    };

    let source: Readable | LentChunks;
    try {
      signal.throwIfAborted();
      const resolved = typeof this.#input === 'function' ? await this.#input(endpoint) : this.#input;
      if (isReadable(resolved) || isLentChunks(resolved)) source = resolved;
      else if (isAsyncIterable(resolved)) source = Readable.from(resolved, { objectMode: false });
      else throw new TypeError('the input function returned neither a Readable nor an async iterable');
    } catch (error) {
      if (isWritable(this.#output)) (this.#output as Writable).destroy();
      throw signal.aborted ? signal.reason : new ConnectorError(this.name, 'input', 0, error);
    }
    if (isReadable(source)) source.on('error', record('input'));

    let sink: Writable;
    try {
      signal.throwIfAborted();
      const resolved = typeof this.#output === 'function' ? await this.#output(endpoint) : this.#output;
      if (!isWritable(resolved)) throw new TypeError('the output function did not return a Writable');
      sink = resolved;
    } catch (error) {
      if (isReadable(source)) source.destroy();
      else
        source[Symbol.asyncIterator]()
          .return?.()
          ?.catch(() => {});
      throw signal.aborted ? signal.reason : new ConnectorError(this.name, 'output', 0, error);
    }
    sink.on('error', record('output'));

    const moved = this.#moved;
    try {
      if (isReadable(source)) await pipeline(source, new ByteCounter(moved), sink, { signal });
      else await pumpLent(source, sink, signal, moved, record);
    } catch (error) {
      if (failed) throw new ConnectorError(this.name, failed.side, moved.bytes, failed.error);
      if (signal.aborted) throw signal.reason;
      const side: ConnectorSide = sink.destroyed && !sink.writableFinished ? 'output' : 'input';
      throw new ConnectorError(this.name, side, moved.bytes, error);
    }
    this.#logger?.debug('stream finished', { connector: this.name, bytes: moved.bytes });
    return { bytesMoved: moved.bytes };
  }
}

/**
 * Creates a connector that moves bytes from `input` to `output` once started.
 *
 * @param options - Input, output, name, signal, `until`, logger; see {@link StreamConnectorOptions}.
 * @returns A connector; call `start()` and await `done`.
 * @throws TypeError when input or output has an unusable type.
 * @example
 * ```ts
 * const connector = createStreamConnector({
 *   name: 'input.bin → in.fifo',
 *   input: createReadStream('input.bin'),
 *   output: ({ signal, until }) => openFifoWriter('/tmp/work/in.fifo', { signal, until }),
 * });
 * const { bytesMoved } = await connector.start();
 * ```
 */
export function createStreamConnector(options: StreamConnectorOptions): StreamConnector {
  return new StreamConnector(options);
}
