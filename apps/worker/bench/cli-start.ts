// How fast the CLI starts, measured as whole processes (spawn → exit), against references measured
// in the same run, in interleaved rounds (the machine is shared: medians, not means):
//   `girder-worker --help` against `node -e 0` (Node's own start); bound: ≤ 150 ms wall;
//   `girder-worker run --image … --no-pull -- echo hi` against `docker run --rm … echo hi` (the
//   docker CLI doing the same run); bound: ≤ 1.2× docker;
//   both again with Node's compile cache off (NODE_DISABLE_COMPILE_CACHE=1), to show what it gives;
//   `node bench/engine-floor.mjs` (the same Engine API calls `run` makes, and nothing else): the
//   least a Node program doing this run can take, so `run` ÷ floor is what the command itself adds
//   and floor ÷ `docker run` what Node's start and the run's own engine calls cost.
// Each process also reports its CPU time (user + system, from bash's `times`, to the ms): on a loaded machine
// wall time mostly measures the wait for a core, CPU time what the process itself costs.
// Needs the app built (pnpm turbo run build --filter=girder-worker...).
// Rerun: pnpm --filter girder-worker bench:cli   (GW_BENCH_ROUNDS=15 by default)
// Before/after in one run: GW_BENCH_BEFORE=/path/to/an/older/dist/cli.js (a copy of another build)
// adds its `--help` and `run` as cases of their own, interleaved with the rest.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_IMAGE } from '@girder-worker/test-helpers';

const ROUNDS = Number(process.env.GW_BENCH_ROUNDS ?? 15);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./engine-floor.mjs', import.meta.url));
const BEFORE = process.env.GW_BENCH_BEFORE;
const node = process.execPath;
const noCache = { NODE_DISABLE_COMPILE_CACHE: '1' };

interface Case {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

const cases: Case[] = [
  { name: 'node -e 0', command: node, args: ['-e', '0'] },
  { name: 'girder-worker --help', command: node, args: [CLI, '--help'] },
  { name: 'girder-worker --help (no compile cache)', command: node, args: [CLI, '--help'], env: noCache },
  { name: 'docker run --rm … echo hi', command: 'docker', args: ['run', '--rm', TEST_IMAGE, 'echo', 'hi'] },
  {
    name: 'girder-worker run … echo hi',
    command: node,
    args: [CLI, 'run', '--image', TEST_IMAGE, '--no-pull', '--', 'echo', 'hi'],
  },
  { name: 'floor: node, the same engine calls only', command: node, args: [FLOOR, TEST_IMAGE, 'echo', 'hi'] },
  {
    name: 'girder-worker run … echo hi (no compile cache)',
    command: node,
    args: [CLI, 'run', '--image', TEST_IMAGE, '--no-pull', '--', 'echo', 'hi'],
    env: noCache,
  },
  ...(BEFORE
    ? [
        { name: 'before: girder-worker --help', command: node, args: [BEFORE, '--help'] },
        {
          name: 'before: girder-worker run … echo hi',
          command: node,
          args: [BEFORE, 'run', '--image', TEST_IMAGE, '--no-pull', '--', 'echo', 'hi'],
        },
      ]
    : []),
];

/** Wall and CPU time of one process, in ms. */
interface Sample {
  wallMs: number;
  cpuMs: number;
}

/**
 * Runs one process to its end under bash, whose `times` then reports the CPU time of its children
 * to the millisecond (`/usr/bin/time` rounds to 10 ms); fails on a non-zero exit.
 */
function time({ command, args, env }: Case): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const script = '"$@"; rc=$?; times >&2; exit $rc';
    const child = spawn('bash', ['-c', script, 'gw-bench', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      // A process that hangs fails the bench instead of stopping it.
      timeout: 60_000,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      // `times` prints the shell's own user and system time, then its children's.
      const cpu = [...output.matchAll(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/g)].at(-1);
      if (code !== 0 || !cpu) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`));
        return;
      }
      const seconds = (m: string | undefined, s: string | undefined): number => Number(m) * 60 + Number(s);
      resolve({ wallMs, cpuMs: (seconds(cpu[1], cpu[2]) + seconds(cpu[3], cpu[4])) * 1000 });
    });
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

// One warm-up round: the image cache, the compile cache and the page cache are filled first.
for (const c of cases) await time(c);
const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, and each round starts at another case, so drifts in load hit every case alike.
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + round) % cases.length] as Case;
    samples.get(c.name)?.push(await time(c));
  }
}
const wall = (name: string): number => median((samples.get(name) ?? []).map((s) => s.wallMs));
const cpu = (name: string): number => median((samples.get(name) ?? []).map((s) => s.cpuMs));
const help = wall('girder-worker --help');
const run = wall('girder-worker run … echo hi');
const docker = wall('docker run --rm … echo hi');
const floor = wall('floor: node, the same engine calls only');
console.log(
  `| process (median of ${ROUNDS} interleaved rounds) | wall | CPU (user + sys) |\n| --- | --- | --- |`,
);
for (const c of cases)
  console.log(`| ${c.name} | ${wall(c.name).toFixed(0)} ms | ${cpu(c.name).toFixed(0)} ms |`);
console.log(
  `| \`--help\` wall, bound ≤ 150 ms | ${help <= 150 ? 'met' : 'not met'} (${help.toFixed(0)} ms) | |`,
);
console.log(
  `| \`run\` ÷ \`docker run\` wall, bound ≤ 1.2 | ${(run / docker).toFixed(2)} (${run <= 1.2 * docker ? 'met' : 'not met'}) | |`,
);
console.log(
  `| floor ÷ \`docker run\` wall (Node's start and the run's engine calls) | ${(floor / docker).toFixed(2)} | |`,
);
console.log(`| \`run\` ÷ floor wall (what the command adds) | ${(run / floor).toFixed(2)} | |`);
if (BEFORE)
  console.log(
    `| before: \`run\` ÷ \`docker run\` wall | ${(wall('before: girder-worker run … echo hi') / docker).toFixed(2)} | |`,
  );
console.log(
  `| \`run\` ÷ \`docker run\` wall, no compile cache | ${(wall('girder-worker run … echo hi (no compile cache)') / docker).toFixed(2)} | |`,
);
