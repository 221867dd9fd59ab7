import type { Worker } from 'node:worker_threads';
import { PUMP, PUMP_SOURCE, type PumpInit, type PumpStart } from './fifo-pump-worker.ts';

/**
 * How long a consumer waiting with part of a slab ready waits for the rest before taking that
 * part: a slow writer's bytes still arrive promptly, a fast one's arrive a slab at a time.
 */
const PARTIAL_WAIT_MS = 5;

/** What the pump reports when it fails: its error's code and message. */
export interface PumpFailure {
  code?: string;
  message: string;
}

/** A lent region: bytes `start` to `end` of slab `slab`. */
interface Region {
  slab: number;
  start: number;
  end: number;
}

/** A pump thread and its exit. */
interface PumpThread {
  worker: Worker;
  exited: Promise<void>;
}

/**
 * Boots a pump thread: it waits, idle, for its {@link PumpInit}. `worker_threads` is loaded here,
 * not at import: a run without a JS sink never needs it.
 */
function bootPumpThread(): PumpThread {
  const worker = new (process.getBuiltinModule('node:worker_threads').Worker)(PUMP_SOURCE, { eval: true });
  return { worker, exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
}

/**
 * A pump thread booted before the FIFO is read (booting one takes 50–80 ms here): a connector
 * whose sink takes the bytes in this process boots it while the container starts, and the
 * {@link PumpLender} of its reader takes it over. Until then it waits, idle, and does not keep the
 * process alive; {@link BootedPumpThread.close} stops it unless a lender took it.
 */
export class BootedPumpThread {
  #thread: PumpThread | undefined;

  constructor() {
    const thread = bootPumpThread();
    this.#thread = thread;
    // Its lender listens once it takes it; a failure before that shows as an early exit.
    thread.worker.on('error', () => {});
    thread.worker.unref();
  }

  /** Hands the thread over, once; undefined after {@link BootedPumpThread.close}. */
  take(): PumpThread | undefined {
    const thread = this.#thread;
    this.#thread = undefined;
    thread?.worker.ref();
    return thread;
  }

  /** Stops the thread and waits for it, unless a lender took it. */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    await thread?.worker.terminate();
  }
}

/**
 * Lends what a pump thread (see `pumpThread`) reads from a FIFO, out of a ring of slabs shared
 * with it. The pump fills each slab fully with blocking reads; this side lends a full slab at once
 * (one wakeup per slab, not per 64 KiB read), or the part ready when the consumer has waited
 * {@link PARTIAL_WAIT_MS} for more. A region is valid until the consumer asks for the next one; a
 * slab goes back to the pump once all of it was lent and released. Memory is the slabs (and the
 * thread, about 12 MiB).
 */
export class PumpLender {
  readonly #ctrl: Int32Array;
  readonly #slabs: Buffer[];
  readonly #size: number;
  readonly #free: number;
  readonly #handed: number[];
  readonly #held: number[];
  readonly #onFailure: (failure: PumpFailure) => void;
  readonly #booted: BootedPumpThread | undefined;
  /** The pump thread, booted by the first {@link PumpLender.next}, started once a writer has come. */
  #worker: Worker | undefined;
  #exited: Promise<void> = Promise.resolve();
  #current = 0;
  #lent: Region | undefined;
  #ended = false;
  #error: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  #pending: PumpStart | undefined;
  #launched = false;
  #onOpened: (() => void) | undefined;
  #bytesLent = 0;

  /**
   * The pump thread boots when the first chunk is asked for, and reads once a writer has come (see
   * {@link PumpLender.start}); a consumer that drains instead never starts it.
   * @param slabBytes - size of each slab
   * @param slabCount - number of slabs (at least 2)
   * @param onFailure - told when the pump fails (`{ code, message }` of its error); the owner
   * then calls {@link PumpLender.fail} and {@link PumpLender.stop}
   * @param booted - a thread booted beforehand, taken instead of booting one
   */
  constructor(
    slabBytes: number,
    slabCount: number,
    onFailure: (failure: PumpFailure) => void,
    booted?: BootedPumpThread,
  ) {
    this.#size = slabBytes;
    this.#slabs = Array.from({ length: slabCount }, () => Buffer.from(new SharedArrayBuffer(slabBytes)));
    this.#ctrl = new Int32Array(new SharedArrayBuffer(4 * (PUMP.FILLED + 2 * slabCount)));
    this.#free = PUMP.FILLED + slabCount;
    for (let i = 0; i < slabCount; i++) this.#ctrl[this.#free + i] = 1;
    this.#handed = this.#slabs.map(() => 0);
    this.#held = this.#slabs.map(() => 0);
    this.#onFailure = onFailure;
    this.#booted = booted;
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

  /** Bytes read into the first slab before the hand-over. */
  get probedBytes(): number {
    return Atomics.load(this.#ctrl, PUMP.FILLED);
  }

  /** The first slab (where the probe reads). */
  get firstSlab(): Buffer {
    return this.#slabs[0] as Buffer;
  }

  /** Total bytes lent so far. */
  get bytesLent(): number {
    return this.#bytesLent;
  }

  /**
   * A writer has come: the pump may open `start.path` and read (once a chunk is asked for).
   * @param start - the descriptor path and the FIFO's identity
   * @param opened - called once the pump holds its own descriptor
   */
  start(start: PumpStart, opened: () => void): void {
    this.#onOpened = opened;
    this.#pending = start;
    this.#wake?.();
  }

  /**
   * Waits until a writer has come ({@link PumpLender.start} was called) or the FIFO ended before.
   * @returns true when a writer came, false when the FIFO ended empty
   * @throws the reading's failure
   */
  async handedOver(): Promise<boolean> {
    while (!this.#pending && !this.#ended && !this.#error) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
    if (this.#pending) return true;
    if (this.#error) throw this.#error.error;
    return false;
  }

  /**
   * Has the pump thread (once): takes the one booted beforehand, else boots one (50–80 ms here),
   * and sends it the control words and slabs; it then waits on them for the start. The first
   * {@link PumpLender.next} does it before any writer has come, so that a writer is not left
   * facing a full pipe meanwhile.
   */
  #spawn(): Worker {
    if (this.#worker) return this.#worker;
    // A thread booted beforehand if there is one; else one booted now.
    const { worker, exited } = this.#booted?.take() ?? bootPumpThread();
    this.#worker = worker;
    worker.on('message', (message: { opened?: true; error?: PumpFailure }) => {
      if (message.opened) this.#onOpened?.();
      if (message.error) this.#onFailure(message.error);
    });
    worker.on('error', (error) => this.#onFailure({ message: error.message }));
    this.#exited = exited;
    this.#exited.then(() => {
      const ctrl = this.#ctrl;
      if (Atomics.load(ctrl, PUMP.DONE) === 0 && Atomics.load(ctrl, PUMP.STOP) === 0)
        this.#onFailure({ message: 'the pump thread stopped before the end of the FIFO' });
    });
    const init: PumpInit = {
      control: this.#ctrl.buffer as SharedArrayBuffer,
      slabs: this.#slabs.map((slab) => slab.buffer as SharedArrayBuffer),
    };
    worker.postMessage(init);
    return worker;
  }

  /** Lets the (booted) pump thread open the FIFO and read, once a writer has come; once only. */
  #launch(): void {
    const start = this.#pending;
    if (this.#launched || !start) return;
    this.#launched = true;
    this.#spawn().postMessage(start);
    Atomics.store(this.#ctrl, PUMP.START, 1);
    Atomics.notify(this.#ctrl, PUMP.START);
  }

  /** No more bytes will come (the FIFO ended before the pump started). */
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
    if (!this.#ended && !this.#error && Atomics.load(this.#ctrl, PUMP.STOP) === 0) this.#spawn();
    this.#launch();
    this.#release();
    const ctrl = this.#ctrl;
    let waited = false;
    for (;;) {
      // Read before looking: any event the pump signals after this (a full slab, the end) makes
      // the wait below return at once, however late it is.
      const event = Atomics.load(ctrl, PUMP.EVENT);
      const done = Atomics.load(ctrl, PUMP.DONE) === 1 || this.#ended;
      const region = this.#take(waited || done || this.#error !== undefined || !this.#launched);
      if (region) {
        this.#lent = region;
        this.#bytesLent += region.end - region.start;
        return (this.#slabs[region.slab] as Buffer).subarray(region.start, region.end);
      }
      if (this.#error) throw this.#error.error;
      if (done) return undefined;
      // Wait a little for a full slab; with nothing at all after that, wait for the first byte.
      if (!waited) waited = await this.#wait('slab', event);
      else await this.#wait('byte', event);
      this.#launch();
    }
  }

  /**
   * Waits for the pump's next event (a full slab, the end, a failure) or a wake-up.
   * @param mode - `'slab'`: for at most {@link PARTIAL_WAIT_MS}; `'byte'`: also for the first byte
   * read, however long (nothing is ready); `'event'`: for an event, however long (draining)
   * @param event - the event count read before the caller looked at the slabs: an event since
   * then ends the wait at once (else an end signalled in between would never be seen)
   * @returns true when it timed out
   */
  async #wait(mode: 'slab' | 'byte' | 'event', event: number): Promise<boolean> {
    const ctrl = this.#ctrl;
    Atomics.store(ctrl, PUMP.WAITING, mode === 'byte' ? 1 : 2);
    // A byte read since the caller looked: the pump may have seen WAITING 0 and said nothing.
    if (
      mode === 'byte' &&
      Atomics.load(ctrl, PUMP.FILLED + this.#current) > (this.#handed[this.#current] as number)
    ) {
      Atomics.store(ctrl, PUMP.WAITING, 0);
      return false;
    }
    const waiting = Atomics.waitAsync(
      ctrl,
      PUMP.EVENT,
      event,
      mode === 'slab' ? PARTIAL_WAIT_MS : Number.POSITIVE_INFINITY,
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
