/** A lent region: bytes `start` to `end` of slab `slab`. */
interface Region {
  slab: number;
  start: number;
  end: number;
}

/** The `onread` option of a `net.Socket`: read into our memory, report each read. */
export interface SocketOnRead {
  buffer: () => Uint8Array;
  callback: (bytesRead: number, buffer: Uint8Array) => boolean;
}

/**
 * Lends what a socket reads (through its `onread` option) from a ring of reused slabs, so that
 * reading allocates nothing per chunk. The socket reads into the free tail of the current slab
 * while the consumer holds a region read before; when the consumer is slower than the socket,
 * reads pile up in the slab and the next region lent is larger (fewer, bigger writes to a slow
 * sink). A region is valid until the consumer asks for the next one. When every slab holds data
 * the consumer has not released, the socket is paused: memory is the slabs, whatever the size.
 */
export class SlabLender {
  readonly #slabs: Buffer[];
  /** Regions queued or lent, per slab: a slab is reused only when this is 0. */
  readonly #held: number[];
  readonly #queue: Region[] = [];
  readonly #resume: () => void;
  #current = 0;
  #filled = 0;
  #handed = 0;
  #lent: Region | undefined;
  /** The socket is paused until slab `#current` is released. */
  #stalled = false;
  #ended = false;
  #error: { error: unknown } | undefined;
  #wake: (() => void) | undefined;

  /**
   * @param slabBytes - size of each slab
   * @param slabCount - number of slabs (at least 2, so that reading overlaps lending)
   * @param resume - resumes the paused socket
   */
  constructor(slabBytes: number, slabCount: number, resume: () => void) {
    this.#slabs = Array.from({ length: slabCount }, () => Buffer.allocUnsafeSlow(slabBytes));
    this.#held = this.#slabs.map(() => 0);
    this.#resume = resume;
  }

  /** The socket's `onread` option. */
  readonly onread: SocketOnRead = {
    buffer: () => (this.#slabs[this.#current] as Buffer).subarray(this.#filled),
    callback: (bytesRead) => this.#onRead(bytesRead),
  };

  /** No more reads will come. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** The reading failed: the iteration throws `error` once what was read is lent. */
  fail(error: unknown): void {
    this.#error ??= { error };
    this.#wake?.();
  }

  #onRead(bytesRead: number): boolean {
    this.#filled += bytesRead;
    this.#wake?.();
    const slab = this.#slabs[this.#current] as Buffer;
    if (this.#filled < slab.length) return true;
    if (this.#handed < this.#filled) {
      this.#queue.push({ slab: this.#current, start: this.#handed, end: this.#filled });
      this.#hold(this.#current, 1);
    }
    this.#current = (this.#current + 1) % this.#slabs.length;
    this.#filled = 0;
    this.#handed = 0;
    // The next slab is the oldest one: it is released first. Until then, stop reading.
    this.#stalled = (this.#held[this.#current] as number) > 0;
    return !this.#stalled;
  }

  #hold(slab: number, delta: number): void {
    this.#held[slab] = (this.#held[slab] as number) + delta;
  }

  #release(): void {
    const lent = this.#lent;
    if (!lent) return;
    this.#lent = undefined;
    this.#hold(lent.slab, -1);
    if (this.#stalled && this.#held[this.#current] === 0) {
      this.#stalled = false;
      this.#resume();
    }
  }

  #take(): Region | undefined {
    const queued = this.#queue.shift();
    if (queued) return queued;
    if (this.#handed === this.#filled) return undefined;
    const region = { slab: this.#current, start: this.#handed, end: this.#filled };
    this.#hold(this.#current, 1);
    this.#handed = this.#filled;
    return region;
  }

  /** Lends the next region (releasing the previous one); undefined at the end. */
  async next(): Promise<Uint8Array | undefined> {
    this.#release();
    for (;;) {
      const region = this.#take();
      if (region) {
        this.#lent = region;
        return (this.#slabs[region.slab] as Buffer).subarray(region.start, region.end);
      }
      if (this.#error) throw this.#error.error;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}
