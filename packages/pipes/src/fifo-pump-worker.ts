import type * as fs from 'node:fs';
import type * as workerThreads from 'node:worker_threads';

/**
 * Layout of the control words shared by a FIFO pump thread and the main thread (an Int32Array
 * over a SharedArrayBuffer). Per slab `i`: `FILLED + i` bytes are in it, `FREE + slabs + i` is 1
 * while the pump may fill it.
 */
export const PUMP = {
  /** Bumped (and notified) by the pump when a slab is full, at the end, on an error, on request. */
  EVENT: 0,
  /** Main thread: 0 busy, 1 waiting for any byte, 2 waiting for a full slab. */
  WAITING: 1,
  /** Main thread: stop now. */
  STOP: 2,
  /** Pump: 0 running, 1 end of file, 2 failed (the error follows as a message). */
  DONE: 3,
  /** Main thread: 1 once the start message is posted. */
  START: 4,
  /** First per-slab word: bytes filled. Then one word per slab: may fill. */
  FILLED: 8,
} as const;

/** What a pump thread is sent first: the control words and the slabs it shares with the main thread. */
export interface PumpInit {
  control: SharedArrayBuffer;
  slabs: SharedArrayBuffer[];
}

/** What the main thread posts to start the pump. */
export interface PumpStart {
  /** `/proc/self/fd/N` of a read end the main thread holds open (never a path the container can touch). */
  path: string;
  /** The FIFO's device and inode, checked again on the pump's own descriptor. */
  dev: number;
  ino: number;
}

/**
 * The pump thread's body (runs in a `worker_threads` Worker, built from its source text, so it
 * uses only its arguments and globals). Opens the FIFO again WITHOUT O_NONBLOCK through the main
 * thread's descriptor and reads it with blocking reads, like `cat`: the kernel wakes the thread in
 * place, with no event loop, no EAGAIN and no thread-pool hop. It fills the shared slabs in turn,
 * each fully before moving on, and tells the main thread through the control words.
 */
function pumpThread(fsModule: typeof fs, threads: typeof workerThreads, init: PumpInit): void {
  const { parentPort, receiveMessageOnPort } = threads;
  const { control, slabs: slabBuffers } = init;
  const ctrl = new Int32Array(control);
  const slabs = slabBuffers.map((buffer) => new Uint8Array(buffer));
  const count = slabs.length;
  const size = (slabs[0] as Uint8Array).length;
  const EVENT = 0;
  const WAITING = 1;
  const STOP = 2;
  const DONE = 3;
  const START = 4;
  const FILLED = 8;
  const FREE = FILLED + count;
  const bump = (): void => {
    Atomics.add(ctrl, EVENT, 1);
    Atomics.notify(ctrl, EVENT);
  };
  let fd = -1;
  try {
    Atomics.wait(ctrl, START, 0);
    const start = receiveMessageOnPort(parentPort as workerThreads.MessagePort)?.message as
      | PumpStart
      | undefined;
    if (Atomics.load(ctrl, STOP) !== 0 || !start) return;
    fd = fsModule.openSync(start.path, fsModule.constants.O_RDONLY);
    const stats = fsModule.fstatSync(fd);
    if (!stats.isFIFO() || stats.dev !== start.dev || stats.ino !== start.ino) {
      throw Object.assign(new Error('the pump opened something other than its FIFO'), {
        code: 'GW_PUMP_FIFO',
      });
    }
    parentPort?.postMessage({ opened: true });
    for (let i = 0; ; i = (i + 1) % count) {
      while (Atomics.load(ctrl, FREE + i) === 0) {
        if (Atomics.load(ctrl, STOP) !== 0) return;
        Atomics.wait(ctrl, FREE + i, 0);
      }
      const slab = slabs[i] as Uint8Array;
      let filled = Atomics.load(ctrl, FILLED + i);
      while (filled < size) {
        if (Atomics.load(ctrl, STOP) !== 0) return;
        const read = fsModule.readSync(fd, slab, filled, size - filled, null);
        if (read === 0) {
          Atomics.store(ctrl, DONE, 1);
          bump();
          return;
        }
        filled += read;
        Atomics.store(ctrl, FILLED + i, filled);
        // The main thread waits for any byte: tell it once (it then waits for a full slab).
        if (filled < size && Atomics.compareExchange(ctrl, WAITING, 1, 2) === 1) bump();
      }
      Atomics.store(ctrl, FREE + i, 0);
      bump();
    }
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    parentPort?.postMessage({ error: { code, message } });
    Atomics.store(ctrl, DONE, 2);
    bump();
  } finally {
    if (fd >= 0) fsModule.closeSync(fd);
  }
}

/**
 * The Worker's source text (CommonJS eval): once booted, it waits (idle, in its event loop) for
 * its {@link PumpInit}, then runs the body above with it.
 */
export const PUMP_SOURCE: string = `require('node:worker_threads').parentPort.once('message', (init) => (${pumpThread.toString()})(require('node:fs'), require('node:worker_threads'), init));`;
