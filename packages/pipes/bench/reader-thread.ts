// The least any JavaScript reader of a FIFO does: a worker thread, booted beforehand, that reads
// the FIFO to its end with blocking `readSync` into one 1 MiB buffer, and nothing else (no
// hand-over to the main thread, no sink). js-reader-floor.ts and streaming.ts put it beside `dd`.
import { Worker } from 'node:worker_threads';

const SOURCE = `
const { readSync, openSync, closeSync } = require('node:fs');
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (path) => {
  const fd = openSync(path, 'r');
  const buffer = new Uint8Array(1 << 20);
  let total = 0;
  for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) total += n;
  closeSync(fd);
  parentPort.postMessage(total);
});`;

/** A booted reader thread. */
export interface ReaderThread {
  /** Reads the FIFO at `path` to its end; resolves with the byte count. */
  read(path: string): Promise<number>;
  /** Stops the thread. */
  close(): Promise<void>;
}

/** Boots a reader thread; resolves once its environment is up. */
export async function bootReaderThread(): Promise<ReaderThread> {
  const thread = new Worker(SOURCE, { eval: true });
  await new Promise((resolve) => thread.once('online', resolve));
  return {
    read(path) {
      const total = new Promise<number>((resolve) => thread.once('message', resolve));
      thread.postMessage(path);
      return total;
    },
    async close() {
      await thread.terminate();
    },
  };
}
