/** What both ends of a FIFO take: see `FifoReaderOptions` and `FifoWriterOptions`. */
export interface FifoEndOptions {
  /** Destroys the stream with the signal's reason. */
  signal?: AbortSignal;
  /** Settles when the peer (the other process) can no longer open its end. */
  until?: PromiseLike<unknown>;
}

/** The shared options, checked; `where` names the function for the error message. */
export function normalizeFifoEndOptions(
  options: FifoEndOptions,
  where: string,
): { signal: AbortSignal | undefined; until: PromiseLike<unknown> | undefined } {
  if (options.until !== undefined && typeof options.until?.then !== 'function') {
    throw new TypeError(`${where} options.until: expected a promise`);
  }
  return { signal: options.signal, until: options.until };
}
