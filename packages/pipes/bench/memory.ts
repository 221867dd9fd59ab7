// Benchmark: peak RSS of a process streaming real files through named pipes into and out of a
// container, each against the same process's baseline (its peak after 20 echo containers).
//   node bench/memory.ts            (BENCH_ROUNDS=3; each measurement in a fresh process)
// in:  HostFileSource(file) → Connect → NamedInputPipe → container `md5sum /data/pipe`
// out: container `dd if=/dev/zero bs=1M count=N of=/data/pipe` → NamedOutputPipe → HostFileSink
// Bounds (issue 15): < 120 MiB for 1 GiB and 4 GiB; 4 parallel 256 MiB runs < 140 MiB.

import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { median, range } from '@girder-worker/test-helpers';
import { inTempDir } from './container.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const child = new URL('./stream-rss.ts', import.meta.url).pathname;

interface Case {
  label: string;
  mode: 'in' | 'out';
  mib: number;
  parallel: number;
  bound: number;
}
const cases: Case[] = [
  { label: 'in, 1 GiB', mode: 'in', mib: 1024, parallel: 1, bound: 120 },
  { label: 'in, 4 GiB', mode: 'in', mib: 4096, parallel: 1, bound: 120 },
  { label: 'out, 1 GiB', mode: 'out', mib: 1024, parallel: 1, bound: 120 },
  { label: 'out, 4 GiB', mode: 'out', mib: 4096, parallel: 1, bound: 120 },
  { label: 'in, 4 × 256 MiB in parallel', mode: 'in', mib: 256, parallel: 4, bound: 140 },
  { label: 'out, 4 × 256 MiB in parallel', mode: 'out', mib: 256, parallel: 4, bound: 140 },
];

await inTempDir('gw-pipes-memory-', async (dir) => {
  // Real input files: 1 GiB of random bytes, and 4 GiB made of it (cached or not, both are files).
  const inputs = new Map<number, string>();
  const one = join(dir, 'in-1024.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${one}`, 'bs=1M', 'count=1024'], { stdio: 'ignore' });
  inputs.set(1024, one);
  const four = join(dir, 'in-4096.bin');
  execFileSync('sh', ['-c', `cat "$0" "$0" "$0" "$0" > "$1"`, one, four]);
  inputs.set(4096, four);
  const quarter = join(dir, 'in-256.bin');
  execFileSync('dd', [`if=${one}`, `of=${quarter}`, 'bs=1M', 'count=256'], { stdio: 'ignore' });
  inputs.set(256, quarter);

  const results = new Map<Case, { baseline: number; peak: number }[]>(cases.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const out = join(dir, `out-${round}-${c.mode}-${c.mib}`);
      await mkdir(out);
      const target = c.mode === 'in' ? (inputs.get(c.mib) as string) : out;
      const printed = execFileSync(
        process.execPath,
        [child, c.mode, String(c.mib), String(c.parallel), target],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      results.get(c)?.push(JSON.parse(printed) as { baseline: number; peak: number });
      execFileSync('rm', ['-rf', out]);
    }
  }

  const fmt = (values: number[]): string =>
    `${median(values).toFixed(0)} (${range(values)
      .map((v) => v.toFixed(0))
      .join('–')})`;
  console.log(`\npeak RSS of one process (MiB), real files, ${rounds} interleaved rounds, median (range)\n`);
  console.log(
    '| streaming | baseline: 20 echo containers | peak while streaming | growth over baseline | bound |',
  );
  console.log('|---|---|---|---|---|');
  for (const c of cases) {
    const samples = results.get(c) ?? [];
    const peak = median(samples.map((s) => s.peak));
    console.log(
      `| ${c.label} | ${fmt(samples.map((s) => s.baseline))} | ${fmt(samples.map((s) => s.peak))} | ${fmt(samples.map((s) => s.peak - s.baseline))} | < ${c.bound} ${peak < c.bound ? 'met' : 'NOT met'} |`,
    );
  }
});
