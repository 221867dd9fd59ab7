import { Transform, type TransformCallback, Writable } from 'node:stream';

/**
 * A Writable that splits bytes into lines (without their newline) and hands each to `onLine`;
 * a last line without a newline is flushed at the end. Lines are decoded as UTF-8 once whole,
 * so a character split across chunks is not broken.
 */
export function lineSink(onLine: (line: string) => void): Writable {
  let rest: Buffer = Buffer.alloc(0);
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      let newline = data.indexOf(10);
      while (newline !== -1) {
        onLine(data.subarray(0, newline).toString('utf8'));
        data = data.subarray(newline + 1);
        newline = data.indexOf(10);
      }
      rest = Buffer.from(data);
      callback();
    },
    final(callback) {
      if (rest.length > 0) onLine(rest.toString('utf8'));
      callback();
    },
  });
}

/** A Writable that writes into a stream it does not own (e.g. process.stdout), never ending it. */
export function forwardTo(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (target.write(chunk)) callback();
      else target.once('drain', () => callback());
    },
  });
}

/** A pass-through that remembers the last `limit` bytes (the stderr tail for errors). */
export class TailTap extends Transform {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes seen in total. */
  bytes = 0;

  /** @param limit - bytes to keep */
  constructor(limit = 8192) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - (this.#chunks[0]?.length ?? 0) >= this.#limit) {
      this.#size -= this.#chunks.shift()?.length ?? 0;
    }
    callback(null, chunk);
  }

  /** The remembered tail, as text. */
  tail(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#limit)).toString('utf8');
  }
}
