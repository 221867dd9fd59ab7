// How fast can Node read a FIFO at all? The output → counting-sink row of streaming.ts asks for
// ≥ 0.9 of `dd if=fifo of=/dev/null bs=1M`; this bench puts the least any JavaScript reader does
// beside it. A local writer (`dd if=/dev/zero bs=1M`) fills the same FIFO for three readers, in
// interleaved rounds:
//   raw: `dd if=fifo of=/dev/null bs=1M`;
//   floor: a worker thread that does nothing but blocking `readSync` into one 1 MiB buffer (the
//     least any JavaScript reader does: no hand-over, no sink), booted before the writer starts;
//   lent: `openFifoReader(fifo).lend()` iterated by a counting loop (the pump thread and the
//     hand-over of shared slabs), its thread booting as the first chunk is asked for.
// A pipe holds 64 KiB, so each reader wakes once per 64 KiB; Node cannot make the pipe larger
// (no fcntl, see pipe-size.sh). Usage (from packages/pipes):
//   node bench/js-reader-floor.ts     (BENCH_MIB=512, BENCH_ROUNDS=7 by default)
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, range } from '@girder-worker/test-helpers/stats';
import { openFifoReader } from '../src/fifo-reader.ts';
import { mkfifo } from '../src/mkfifo.ts';
import { bootReaderThread } from './reader-thread.ts';

const mib = Number(process.env.BENCH_MIB ?? 512);
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const bytes = mib * (1 << 20);

/** Runs `command` to its end; fails on a non-zero exit. */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

const writer = (fifo: string): Promise<void> =>
  run('dd', ['if=/dev/zero', `of=${fifo}`, 'bs=1M', `count=${mib}`]);

const readers: Record<string, (fifo: string) => Promise<number>> = {
  async raw(fifo) {
    const started = performance.now();
    await Promise.all([writer(fifo), run('dd', [`if=${fifo}`, 'of=/dev/null', 'bs=1M'])]);
    return performance.now() - started;
  },
  async floor(fifo) {
    const thread = await bootReaderThread();
    try {
      const started = performance.now();
      const [read] = await Promise.all([thread.read(fifo), writer(fifo)]);
      if (read !== bytes) throw new Error(`floor read ${read} of ${bytes}`);
      return performance.now() - started;
    } finally {
      await thread.close();
    }
  },
  async lent(fifo) {
    const started = performance.now();
    const written = writer(fifo);
    let read = 0;
    for await (const chunk of openFifoReader(fifo).lend()) read += chunk.byteLength;
    await written;
    if (read !== bytes) throw new Error(`lent read ${read} of ${bytes}`);
    return performance.now() - started;
  },
};

const dir = await mkdtemp(join(tmpdir(), 'gw-js-reader-'));
try {
  const samples = new Map(Object.keys(readers).map((name) => [name, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, read] of Object.entries(readers)) {
      const fifo = join(dir, `${name}-${round}`);
      await mkfifo(fifo);
      samples.get(name)?.push(mib / ((await read(fifo)) / 1000));
      await rm(fifo);
    }
  }
  const raw = median(samples.get('raw') ?? []);
  console.log(`\nreading a FIFO a local dd fills (${mib} MiB, ${rounds} interleaved rounds)\n`);
  console.log('| reader | MiB/s, median (range) | ratio to raw |\n|---|---|---|');
  for (const [name, values] of samples) {
    const [lo, hi] = range(values);
    console.log(
      `| ${name} | ${median(values).toFixed(0)} (${lo.toFixed(0)}–${hi.toFixed(0)}) | ${(median(values) / raw).toFixed(2)} |`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
