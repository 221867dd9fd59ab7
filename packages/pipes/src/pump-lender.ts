import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { PUMP, PUMP_SOURCE, type PumpStart } from './fifo-pump-worker.ts';

/**
 * How long a consumer waiting with part of a slab ready waits for the rest before taking that
 * part: a slow writer's bytes still arrive promptly, a fast one's arrive a slab at a time.
 */
const PARTIAL_WAIT_MS = 5;

/** What the pump reports when it fails: its error's code and message, and which side failed. */
export interface PumpFailure {
  code?: string;
  message: string;
  /** `'output'` when writing the sink failed (drain mode), else `'input'`. */
  side?: 'input' | 'output';
}

/** A lent region: bytes `start` to `end` of slab `slab`. */
interface Region {
  slab: number;
  start: number;
  end: number;
}

/**
 * Lends what a pump thread (see `pumpThread`) reads from a FIFO, out of a ring of slabs shared
 * with it. The pump fills each slab fully with blocking reads; this side lends a full slab at once
 * (one wakeup per slab, not per 64 KiB read), or the part ready when the consumer has waited
 * {@link PARTIAL_WAIT_MS} for more. A region is valid until the consumer asks for the next one; a
 * slab goes back to the pump once all of it was lent and released. Memory is the slabs.
 */
export class PumpLender {
  readonly #ctrl: Int32Array;
  /** Drain mode: bytes the pump has written (set by the pump only). */
  readonly #written: Float64Array;
  readonly #slabs: Buffer[];
  readonly #size: number;
  readonly #free: number;
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  readonly #handed: number[];
  readonly #held: number[];
  #current = 0;
  #lent: Region | undefined;
  #ended = false;
  #error: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  #started = false;
  #launched = false;
  #pending: PumpStart | undefined;
  #onOpened: (() => void) | undefined;
  #bytesLent = 0;

  /**
   * Starts the pump thread at once (it waits for {@link PumpLender.start}), so that its start-up
   * overlaps waiting for the writer.
   * @param slabBytes - size of each slab
   * @param slabCount - number of slabs (at least 2)
   * @param onFailure - told when the pump fails (`{ code, message, side }` of its error); the owner
   * then calls {@link PumpLender.fail} and {@link PumpLender.stop}
   */
  constructor(slabBytes: number, slabCount: number, onFailure: (failure: PumpFailure) => void) {
    this.#size = slabBytes;
    const shared = Array.from({ length: slabCount }, () => new SharedArrayBuffer(slabBytes));
    this.#slabs = shared.map((buffer) => Buffer.from(buffer));
    this.#ctrl = new Int32Array(new SharedArrayBuffer(4 * (PUMP.FILLED + 2 * slabCount)));
    this.#free = PUMP.FILLED + slabCount;
    this.#written = new Float64Array(new SharedArrayBuffer(8));
    for (let i = 0; i < slabCount; i++) this.#ctrl[this.#free + i] = 1;
    this.#handed = shared.map(() => 0);
    this.#held = shared.map(() => 0);
    this.#worker = new Worker(PUMP_SOURCE, {
      eval: true,
      workerData: { control: this.#ctrl.buffer, progress: this.#written.buffer, slabs: shared },
    });
    this.#worker.on('message', (message: { opened?: true; error?: PumpFailure }) => {
      if (message.opened) this.#onOpened?.();
      if (message.error) onFailure(message.error);
    });
    this.#worker.on('error', (error) => onFailure({ message: error.message }));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#exited.then(() => {
      if (Atomics.load(this.#ctrl, PUMP.DONE) === 0 && !this.#ended)
        onFailure({ message: 'the pump thread stopped before the end of the FIFO' });
    });
  }

  /** Where bytes read before the pump starts go (the free tail of the first slab). */
  probeBuffer(): Buffer {
    return (this.#slabs[0] as Buffer).subarray(this.#ctrl[PUMP.FILLED] as number);
  }

  /** `bytes` more were read into {@link PumpLender.probeBuffer}. */
  probed(bytes: number): void {
    Atomics.add(this.#ctrl, PUMP.FILLED, bytes);
    this.#wake?.();
  }

  /** Total bytes lent so far. */
  get bytesLent(): number {
    return this.#bytesLent;
  }

  /**
   * Lets the pump open `start.path` and read.
   * @param start - the descriptor path and the FIFO's identity
   * @param opened - called once the pump holds its own descriptor
   */
  start(start: PumpStart, opened: () => void): void {
    this.#started = true;
    this.#onOpened = opened;
    this.#pending = start;
    this.#wake?.();
  }

  /** Lets the pump go, lending (no `sink`) or draining into `sink`; once only. */
  #launch(sink?: number): void {
    const start = this.#pending;
    if (this.#launched || !start) return;
    this.#launched = true;
    this.#worker.postMessage(sink === undefined ? start : { ...start, sink });
    Atomics.store(this.#ctrl, PUMP.START, 1);
    Atomics.notify(this.#ctrl, PUMP.START);
  }

  /**
   * Drain mode, instead of {@link PumpLender.next}: the pump writes what it reads to `sink`
   * itself. Bytes read before are written first.
   * @param sink - a descriptor of the output file, kept open until the pump has exited
   * @param progress - told the bytes written so far, about every MiB
   * @returns when the FIFO has ended and everything is written
   * @throws the pump's failure (see the constructor's `onFailure`), or the stream's
   */
  async drain(sink: number, progress: (bytes: number) => void): Promise<void> {
    for (;;) {
      if (!this.#launched && this.#pending) this.#launch(sink);
      progress(this.#written[0] as number);
      if (this.#error) throw this.#error.error;
      if (this.#ended || Atomics.load(this.#ctrl, PUMP.DONE) === 1) {
        // Ended before the pump started: what the probe read is all there is.
        if (!this.#launched) this.#drainProbe(sink, progress);
        return;
      }
      await this.#wait(false);
    }
  }

  /** Writes the bytes read before the pump started (no pump ran) to `sink`. */
  #drainProbe(sink: number, progress: (bytes: number) => void): void {
    const length = this.#ctrl[PUMP.FILLED] as number;
    for (let done = 0; done < length; )
      done += writeSync(sink, this.#slabs[0] as Buffer, done, length - done);
    progress(length);
  }

  /** No more bytes will come (used when the FIFO ended before the pump started). */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** The reading failed: the iteration throws `error` once what was read is lent. */
  fail(error: unknown): void {
    this.#error ??= { error };
    this.#wake?.();
  }

  /**
   * Stops the pump thread and waits until it has exited (its descriptor closed). `unblock` must
   * wake a blocking read (e.g. by writing a byte into the FIFO).
   */
  async stop(unblock: () => void): Promise<void> {
    const ctrl = this.#ctrl;
    Atomics.store(ctrl, PUMP.STOP, 1);
    Atomics.store(ctrl, PUMP.START, 1);
    Atomics.notify(ctrl, PUMP.START);
    for (let i = 0; i < this.#slabs.length; i++) {
      Atomics.store(ctrl, this.#free + i, 1);
      Atomics.notify(ctrl, this.#free + i);
    }
    if (this.#launched && Atomics.load(ctrl, PUMP.DONE) === 0) unblock();
    this.#wake?.();
    await this.#exited;
  }

  #release(): void {
    const lent = this.#lent;
    if (!lent) return;
    this.#lent = undefined;
    const slab = lent.slab;
    this.#held[slab] = (this.#held[slab] as number) - 1;
    if (this.#held[slab] === 0 && this.#handed[slab] === this.#size) {
      this.#handed[slab] = 0;
      Atomics.store(this.#ctrl, PUMP.FILLED + slab, 0);
      Atomics.store(this.#ctrl, this.#free + slab, 1);
      Atomics.notify(this.#ctrl, this.#free + slab);
    }
  }

  /** The next region of the current slab: only a full slab's rest unless `partial`. */
  #take(partial: boolean): Region | undefined {
    const slab = this.#current;
    const filled = Atomics.load(this.#ctrl, PUMP.FILLED + slab);
    const start = this.#handed[slab] as number;
    if (filled === start || (filled < this.#size && !partial)) return undefined;
    this.#handed[slab] = filled;
    this.#held[slab] = (this.#held[slab] as number) + 1;
    if (filled === this.#size) this.#current = (slab + 1) % this.#slabs.length;
    return { slab, start, end: filled };
  }

  /** Lends the next region (releasing the previous one); undefined at the end. */
  async next(): Promise<Uint8Array | undefined> {
    this.#launch();
    this.#release();
    const ctrl = this.#ctrl;
    let waited = false;
    for (;;) {
      const done = Atomics.load(ctrl, PUMP.DONE) === 1 || this.#ended;
      const region = this.#take(waited || done || this.#error !== undefined || !this.#started);
      if (region) {
        this.#lent = region;
        this.#bytesLent += region.end - region.start;
        return (this.#slabs[region.slab] as Buffer).subarray(region.start, region.end);
      }
      if (this.#error) throw this.#error.error;
      if (done) return undefined;
      waited = await this.#wait(true);
      this.#launch();
    }
  }

  /**
   * Waits for the pump (or a failure); true when it waited long with part of a slab ready.
   * @param partial - a part of a slab would do (lending); else only the pump's events (draining)
   */
  async #wait(partial: boolean): Promise<boolean> {
    const ctrl = this.#ctrl;
    const event = Atomics.load(ctrl, PUMP.EVENT);
    Atomics.store(ctrl, PUMP.WAITING, partial ? 1 : 2);
    const slab = this.#current;
    const ready = partial && Atomics.load(ctrl, PUMP.FILLED + slab) > (this.#handed[slab] as number);
    if (ready) Atomics.store(ctrl, PUMP.WAITING, 2);
    const waiting = Atomics.waitAsync(
      ctrl,
      PUMP.EVENT,
      event,
      ready ? PARTIAL_WAIT_MS : Number.POSITIVE_INFINITY,
    );
    let outcome: string;
    if (waiting.async) {
      outcome = await new Promise<string>((resolve) => {
        this.#wake = () => resolve('woken');
        waiting.value.then(resolve);
      });
      this.#wake = undefined;
    } else {
      outcome = waiting.value;
    }
    Atomics.store(ctrl, PUMP.WAITING, 0);
    if (outcome === 'woken') {
      // Settle the pending wait, so that nothing stays registered on the control words.
      Atomics.add(ctrl, PUMP.EVENT, 1);
      Atomics.notify(ctrl, PUMP.EVENT);
    }
    return outcome === 'timed-out';
  }
}
