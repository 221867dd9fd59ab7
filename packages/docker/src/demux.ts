import { PassThrough, Writable } from 'node:stream';

const HEADER = 8;

/**
 * Splits Docker's multiplexed attach stream (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian payload length) into `stdout` and `stderr`. Backpressure is kept: a frame waits
 * until its target has room, so a slow consumer slows the container instead of filling memory.
 */
export class DockerDemuxer extends Writable {
  /** The container's stdout. */
  readonly stdout: PassThrough = new PassThrough({ highWaterMark: 1 << 20 });
  /** The container's stderr. */
  readonly stderr: PassThrough = new PassThrough({ highWaterMark: 1 << 20 });
  #header = Buffer.alloc(HEADER);
  #headerFill = 0;
  #target: PassThrough | undefined;
  #remaining = 0;

  constructor() {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let offset = 0;
    let waitFor: PassThrough | undefined;
    while (offset < chunk.length) {
      if (this.#remaining === 0) {
        const take = Math.min(HEADER - this.#headerFill, chunk.length - offset);
        chunk.copy(this.#header, this.#headerFill, offset, offset + take);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < HEADER) break;
        this.#headerFill = 0;
        this.#target = this.#header[0] === 2 ? this.stderr : this.stdout;
        this.#remaining = this.#header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - offset);
      const target = this.#target as PassThrough;
      if (!target.write(chunk.subarray(offset, offset + take))) waitFor = target;
      this.#remaining -= take;
      offset += take;
    }
    if (waitFor && !waitFor.destroyed) waitFor.once('drain', () => callback());
    else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.stdout.end();
    this.stderr.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error) {
      this.stdout.destroy(error);
      this.stderr.destroy(error);
    } else {
      this.stdout.end();
      this.stderr.end();
    }
    callback(error);
  }
}
