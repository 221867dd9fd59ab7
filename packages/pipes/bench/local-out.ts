// Quick local comparison (no container): `dd if=/dev/zero bs=1M` writes a FIFO; the host side reads it.
//   node bench/local-out.ts   (BENCH_MIB=1024, BENCH_ROUNDS=5; interleaved rounds, medians)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { median, range } from '@girder-worker/test-helpers';
import { createStreamConnector } from '../src/connector.ts';
import { openFifoReader } from '../src/fifo-reader.ts';
import { releasesChunks } from '../src/lent-chunks.ts';
import { mkfifo } from '../src/mkfifo.ts';

const mib = Number(process.env.BENCH_MIB ?? 1024);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const run = (script: string, ...args: string[]) => {
  const child = spawn('sh', ['-c', script, 'sh', ...args], { stdio: 'ignore' });
  return once(child, 'exit').then(([code]) => code as number);
};
type Side = (fifo: string, out: string, exited: Promise<number>) => Promise<unknown>;
const rows: [string, Side][] = [
  ['raw cat fifo > file', (f, o) => run('cat "$1" > "$2"', f, o)],
  [
    'lend → createWriteStream',
    (f, o, exited) =>
      createStreamConnector({
        input: openFifoReader(f, { until: exited }).lend(),
        output: createWriteStream(o),
        until: exited,
      }).start(),
  ],
  ['raw dd of=/dev/null bs=1M', (f) => run('dd if="$1" of=/dev/null bs=1M 2>/dev/null', f)],
  [
    'lend → counting releasesChunks',
    (f, _o, exited) =>
      createStreamConnector({
        input: openFifoReader(f, { until: exited }).lend(),
        output: releasesChunks(new Writable({ write: (_c, _e, cb) => cb() })),
        until: exited,
      }).start(),
  ],
];
const samples = rows.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  for (const [i, [, side]] of rows.entries()) {
    const dir = await mkdtemp(join(tmpdir(), 'gw-local-out-'));
    const fifo = join(dir, 'pipe');
    await mkfifo(fifo);
    const t0 = performance.now();
    const exited = run(`dd if=/dev/zero bs=1M count=${mib} of="$1" 2>/dev/null`, fifo);
    await Promise.all([side(fifo, join(dir, 'out.bin'), exited), exited]);
    samples[i]?.push(mib / ((performance.now() - t0) / 1000));
    await rm(dir, { recursive: true });
  }
}
for (const [i, [label]] of rows.entries()) {
  const s = samples[i] ?? [];
  const [lo, hi] = range(s);
  console.log(`${label}: ${median(s).toFixed(0)} MiB/s (${lo.toFixed(0)}–${hi.toFixed(0)})`);
}
