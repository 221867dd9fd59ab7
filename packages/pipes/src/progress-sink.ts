import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Logger, Progress, Reporter } from '@girder-worker/transforms';

/** Options of {@link createProgressSink}. */
export interface ProgressSinkOptions {
  /** Receives each valid progress line. */
  reporter: Reporter;
  /**
   * Receives a warning for each skipped (malformed) line.
   * @default silent
   */
  logger?: Logger;
  /**
   * Longest line accepted; a longer one is skipped with a warning (memory stays bounded).
   * @default 65536
   */
  maxLineLength?: number;
}

const EXCERPT = 200;

function excerpt(line: string): string {
  return line.length > EXCERPT ? `${line.slice(0, EXCERPT)}…` : line;
}

/**
 * Parses one progress line: a JSON object with at least one of `total` (number ≥ 0), `current`
 * (number ≥ 0) and `message` (string).
 * @param line - One line without its newline.
 * @returns The progress, or a reason why the line is malformed.
 */
export function parseProgressLine(line: string): { progress: Progress } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'not a JSON object' };
  }
  const record = value as Record<string, unknown>;
  const progress: Progress = {};
  for (const key of ['total', 'current'] as const) {
    const field = record[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'number' || !Number.isFinite(field) || field < 0) {
      return { problem: `${key}: expected a number >= 0, got ${JSON.stringify(field)}` };
    }
    progress[key] = field;
  }
  if (record.message !== undefined && record.message !== null) {
    if (typeof record.message !== 'string') {
      return { problem: `message: expected a string, got ${typeof record.message}` };
    }
    progress.message = record.message;
  }
  if (Object.keys(progress).length === 0) {
    return { problem: 'none of total, current, message present' };
  }
  return { progress };
}

/**
 * A Writable that splits its bytes into lines (UTF-8, lines may span chunks) and reports each
 * JSON progress line `{"total": n, "current": n, "message": "…"}` to `reporter.progress`.
 * Malformed lines are logged with `logger.warn` and skipped; they never fail the stream.
 */
class ProgressSink extends Writable {
  readonly #reporter: Reporter;
  readonly #logger: Logger | undefined;
  readonly #maxLineLength: number;
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';
  #skippingLongLine = false;

  constructor(options: ProgressSinkOptions) {
    super();
    this.#reporter = options.reporter;
    this.#logger = options.logger;
    this.#maxLineLength = options.maxLineLength ?? 65536;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#consume(this.#decoder.write(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#consume(this.#decoder.end());
    if (this.#partial !== '' && !this.#skippingLongLine) this.#line(this.#partial);
    this.#partial = '';
    callback();
  }

  #consume(text: string): void {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (this.#skippingLongLine) {
        this.#skippingLongLine = false;
        continue;
      }
      const line = this.#partial + piece;
      this.#partial = '';
      if (line.length > this.#maxLineLength) this.#warnLong(line);
      else this.#line(line);
    }
    if (this.#skippingLongLine) return;
    this.#partial += text.slice(start);
    if (this.#partial.length > this.#maxLineLength) {
      this.#warnLong(this.#partial);
      this.#partial = '';
      this.#skippingLongLine = true;
    }
  }

  #warnLong(line: string): void {
    this.#logger?.warn('skipped a progress line longer than the limit', {
      maxLineLength: this.#maxLineLength,
      line: excerpt(line),
    });
  }

  #line(raw: string): void {
    const line = raw.trim();
    if (line === '') return;
    const parsed = parseProgressLine(line);
    if ('problem' in parsed) {
      this.#logger?.warn(`skipped a malformed progress line (${parsed.problem})`, { line: excerpt(line) });
      return;
    }
    try {
      this.#reporter.progress(parsed.progress);
    } catch (error) {
      this.#logger?.error('the progress reporter failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/**
 * Creates a Writable that turns JSON progress lines into `reporter.progress()` calls.
 *
 * @param options - Reporter, logger, line limit; see {@link ProgressSinkOptions}.
 * @returns A Writable that never fails on bad input.
 * @throws TypeError when `reporter` is missing or `maxLineLength` is not a positive integer.
 * @example
 * ```ts
 * await pipeline(openFifoReader('/tmp/work/progress'), createProgressSink({
 *   reporter: { log() {}, progress: (p) => console.log(p.current, '/', p.total) },
 * }));
 * ```
 */
export function createProgressSink(options: ProgressSinkOptions): Writable {
  if (typeof options?.reporter?.progress !== 'function') {
    throw new TypeError('createProgressSink options.reporter: expected a Reporter with a progress() method');
  }
  const max = options.maxLineLength ?? 65536;
  if (!Number.isInteger(max) || max < 1) {
    throw new TypeError(
      `createProgressSink options.maxLineLength: expected a positive integer, got ${String(max)}`,
    );
  }
  return new ProgressSink(options);
}
