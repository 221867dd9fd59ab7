import { once } from 'node:events';
import { WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ConnectorSide } from './errors.ts';
import { FifoWriteStream } from './fifo-writer.ts';

/**
 * A byte source whose chunks are lent: each is valid only until the next step of the iteration
 * (the producer reuses its buffers), e.g. `GirderClient.downloadFileChunks`, a `HostFileSource` or
 * `FifoReadStream.lend()`. A connector writes each chunk and waits until the sink is done with it
 * before asking for the next; into a FIFO or a file that means no copy and no allocation per
 * chunk. Sinks that may keep a chunk (see {@link releasesChunks}) get a copy.
 *
 * @example
 * ```ts
 * const source = new LentChunks(client.downloadFileChunks(fileId));
 * await createStreamConnector({ input: source, output: openFifoWriter(path) }).start();
 * ```
 */
export class LentChunks implements AsyncIterable<Uint8Array> {
  /** `[object LentChunks]`: the brand by which copies of this package recognise each other's. */
  get [Symbol.toStringTag](): string {
    return 'LentChunks';
  }
  readonly #chunks: AsyncIterable<Uint8Array>;

  /** @param chunks - chunks valid until the iteration moves on */
  constructor(chunks: AsyncIterable<Uint8Array>) {
    if (typeof chunks?.[Symbol.asyncIterator] !== 'function') {
      throw new TypeError('LentChunks chunks: expected an async iterable of byte chunks');
    }
    this.#chunks = chunks;
  }

  /** Iterates the lent chunks (each valid until the next `next()`). */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#chunks[Symbol.asyncIterator]();
  }
}

/**
 * Whether a value is a {@link LentChunks}, even from another copy of this package.
 * @param value - anything
 * @returns true for lent chunks
 */
export function isLentChunks(value: unknown): value is LentChunks {
  return Object.prototype.toString.call(value) === '[object LentChunks]';
}

/**
 * Internal: lent chunks that can instead move themselves into a file descriptor (a FIFO read by a
 * pump thread writes the file itself, like `cat`). Called with a descriptor the connector keeps
 * open until the returned promise settles, and a progress callback; settles once everything is
 * written and the source is closed.
 */
export const DRAIN_INTO: unique symbol = Symbol('@girder-worker/pipes.drainInto');

/** Lent chunks carrying {@link DRAIN_INTO}. */
export interface Drainable {
  [DRAIN_INTO]?: (fd: number, progress: (bytes: number) => void) => Promise<void>;
}

/** Which side a failure of a {@link DRAIN_INTO} belongs to: errors in this set were the output's. */
export const OUTPUT_FAILURES: WeakSet<object> = new WeakSet();

const RELEASES_CHUNKS = Symbol.for('@girder-worker/pipes.releasesChunks');

/**
 * Marks a Writable as done with each chunk once that chunk's write callback has run (it keeps no
 * reference to it), so that a connector hands it {@link LentChunks} without copying them. FIFO
 * writers and `fs` write streams are known to be such sinks without the mark; any other Writable
 * gets a copy of each lent chunk, since it may keep it (a PassThrough, a collector…).
 * @param sink - a Writable that never keeps a chunk past its write callback
 * @returns the same Writable
 * @example
 * ```ts
 * let bytes = 0;
 * const counter = releasesChunks(new Writable({ write: (chunk, _e, cb) => { bytes += chunk.length; cb(); } }));
 * ```
 */
export function releasesChunks<T extends Writable>(sink: T): T {
  Object.defineProperty(sink, RELEASES_CHUNKS, { value: true });
  return sink;
}

/** Whether lent chunks can go to `sink` as they are (see {@link releasesChunks}). */
function isDoneWithEachChunk(sink: Writable): boolean {
  return (
    sink instanceof FifoWriteStream ||
    sink instanceof WriteStream ||
    (sink as { [RELEASES_CHUNKS]?: unknown })[RELEASES_CHUNKS] === true
  );
}

/**
 * Whether lent chunks that can drain themselves may write into `sink`'s file directly: a plain
 * `fs` write stream (`createWriteStream(path)`, flags `'w'`, no start position) that has written
 * nothing yet.
 */
function drainsInto(sink: Writable): sink is WriteStream {
  return (
    sink instanceof WriteStream &&
    sink.constructor === WriteStream &&
    (sink as unknown as { flags?: unknown }).flags === 'w' &&
    (sink as unknown as { pos?: unknown }).pos === undefined &&
    sink.bytesWritten === 0 &&
    sink.writableLength === 0 &&
    !sink.destroyed
  );
}

/** Writes one chunk and settles when the sink is done with it. */
function writeChunk(sink: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Races each step of a transfer against its stop (abort, a broken output) without leaving a
 * reaction behind per step: `Promise.race` against one long-lived promise would attach one to it
 * for every chunk, and a 4 GiB transfer in 64 KiB chunks would keep 65 536 of them.
 */
function createStopper(): { stop(error: unknown): void; guard<T>(step: Promise<T>): Promise<T> } {
  let stopped: { error: unknown } | undefined;
  let interrupt: ((error: unknown) => void) | undefined;
  return {
    stop(error) {
      stopped ??= { error };
      interrupt?.(stopped.error);
    },
    guard<T>(step: Promise<T>): Promise<T> {
      if (stopped) {
        step.catch(() => {});
        return Promise.reject(stopped.error);
      }
      return new Promise<T>((resolve, reject) => {
        interrupt = reject;
        step.then(resolve, reject);
      }).finally(() => {
        interrupt = undefined;
      });
    },
  };
}

/**
 * Moves lent chunks: each is written, and the sink done with it, before the next is asked for.
 * A FIFO writer, a file or a sink marked with {@link releasesChunks} is done with a chunk once
 * its callback runs; other sinks get a copy, since they may keep it. On failure or abort both
 * ends are closed; `record` learns which side failed.
 */
export async function pumpLent(
  source: LentChunks,
  sink: Writable,
  signal: AbortSignal,
  moved: { bytes: number },
  record: (side: ConnectorSide) => (error: unknown) => void,
): Promise<void> {
  const iterator = source[Symbol.asyncIterator]();
  const keepsNothing = isDoneWithEachChunk(sink);
  const failOn = (side: ConnectorSide) => (error: unknown) => {
    record(side)(error);
    throw error;
  };
  const { stop, guard } = createStopper();
  const onAbort = (): void => stop(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  // Settles when the sink finishes (after end) or breaks; before end, either is a failure.
  let ending = false;
  const outputDone = finished(sink);
  outputDone.then(
    () => {
      if (!ending) stop(new Error('the output finished before the input ended'));
    },
    (error: unknown) => {
      record('output')(error);
      stop(error);
    },
  );
  const drain = drainsInto(sink) ? (source as Drainable)[DRAIN_INTO] : undefined;
  try {
    signal.throwIfAborted();
    if (drain) {
      // The source writes the file itself; the sink's descriptor is open once it is ready.
      const file = sink as WriteStream;
      if (file.pending) await guard(once(file, 'ready').catch(failOn('output')));
      await guard(
        drain((file as unknown as { fd: number }).fd, (bytes) => {
          moved.bytes = bytes;
        }).catch((error: unknown) =>
          failOn(
            typeof error === 'object' && error !== null && OUTPUT_FAILURES.has(error) ? 'output' : 'input',
          )(error),
        ),
      );
    }
    while (!drain) {
      const step = await guard(iterator.next().catch(failOn('input')));
      if (step.done) break;
      const chunk = keepsNothing ? step.value : Buffer.from(step.value);
      await guard(writeChunk(sink, chunk).catch(failOn('output')));
      moved.bytes += chunk.byteLength;
    }
    ending = true;
    sink.end();
    await guard(outputDone.catch(failOn('output')));
  } catch (error) {
    const closing = iterator.return?.()?.catch(() => {});
    // A FIFO pump closes promptly (its thread is woken and stopped): settle only once it has.
    if ((source as Drainable)[DRAIN_INTO] !== undefined) await closing;
    sink.destroy();
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
