/**
 * A byte source whose chunks are lent: each is valid only until the next step of the iteration
 * (the producer reuses its buffers), e.g. `GirderClient.downloadFileChunks`. A connector writes
 * each chunk and waits until the sink is done with it before asking for the next; into a FIFO
 * that means no copy and no allocation per chunk. Sinks that may keep a chunk (any Writable
 * other than a {@link FifoWriteStream}) get a copy.
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
