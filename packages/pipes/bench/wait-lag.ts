// Benchmark: event-loop lag and thread-pool latency while 16 FIFO ends wait for their peers,
// against the same process doing the same with no pipe waiting (the reference, same run).
//   node bench/wait-lag.ts        (BENCH_ROUNDS=5 by default; rounds interleave both sides)
// Each round: a 10 ms interval records its worst lateness over 1 s, and 20 reads of this file
// are timed. "pipes" opens 8 writers and 8 readers first (no peer ever comes; they are destroyed
// after the round). Bound (issue 15, moved out of the tests): max lag < 100 ms, reads < 1 s.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, range } from '@girder-worker/test-helpers';
import { openFifoReader } from '../src/fifo-reader.ts';
import { openFifoWriter } from '../src/fifo-writer.ts';
import { mkfifo } from '../src/mkfifo.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

interface Sample {
  maxLagMs: number;
  readsMs: number;
}

async function measure(): Promise<Sample> {
  let maxLagMs = 0;
  let last = performance.now();
  const interval = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - 10);
    last = now;
  }, 10);
  const readStart = performance.now();
  for (let i = 0; i < 20; i++) await readFile(new URL(import.meta.url));
  const readsMs = performance.now() - readStart;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  clearInterval(interval);
  return { maxLagMs, readsMs };
}

async function withWaitingPipes(dir: string): Promise<Sample> {
  const ends = await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      const path = join(dir, `p${i}-${randomBytes(4).toString('hex')}`);
      await mkfifo(path);
      const end = i % 2 === 0 ? openFifoWriter(path) : openFifoReader(path);
      end.on('error', () => {});
      if (i % 2 === 0) (end as ReturnType<typeof openFifoWriter>).write(Buffer.alloc(1000));
      return { end, path };
    }),
  );
  try {
    return await measure();
  } finally {
    for (const { end, path } of ends) {
      end.destroy();
      await rm(path, { force: true });
    }
  }
}

const dir = await mkdtemp(join(tmpdir(), 'gw-pipes-lag-'));
try {
  const idle: Sample[] = [];
  const waiting: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    idle.push(await measure());
    waiting.push(await withWaitingPipes(dir));
  }
  const fmt = (values: number[]): string =>
    `${median(values).toFixed(1)} (${range(values)
      .map((v) => v.toFixed(1))
      .join('–')})`;
  console.log(`\nevent loop and thread pool while 16 FIFO ends wait, ${rounds} interleaved rounds\n`);
  console.log('| | max lag of a 10 ms interval, ms | 20 file reads, ms |');
  console.log('|---|---|---|');
  console.log(
    `| reference: nothing waiting | ${fmt(idle.map((s) => s.maxLagMs))} | ${fmt(idle.map((s) => s.readsMs))} |`,
  );
  console.log(
    `| 8 writers + 8 readers waiting | ${fmt(waiting.map((s) => s.maxLagMs))} | ${fmt(waiting.map((s) => s.readsMs))} |`,
  );
  const lag = median(waiting.map((s) => s.maxLagMs));
  const reads = median(waiting.map((s) => s.readsMs));
  console.log(
    `\nbounds: max lag ${lag.toFixed(1)} ms (< 100 ms ${lag < 100 ? 'met' : 'NOT met'}), reads ${reads.toFixed(1)} ms (< 1000 ms ${reads < 1000 ? 'met' : 'NOT met'})`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
