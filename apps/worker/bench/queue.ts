// Queue overhead per run (submit → done for `true`) against an in-process run, and 100 short runs
// at concurrency 2. Needs the app built (pnpm turbo run build --filter=girder-worker...).
// Rerun: pnpm --filter girder-worker bench
import { spawn } from 'node:child_process';
import { median, startRedisServer, TEST_IMAGE } from '@girder-worker/test-helpers';
import { executeRun, loadRunSpec, submitRun, waitForRun } from '../src/index.ts';

const spec = { image: TEST_IMAGE, pullImage: false, containerArgs: ['true'] };
// A private redis-server on a free loopback port, answering before the bench starts.
const redis = await startRedisServer();
const url = redis.url;
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const worker = spawn(
  process.execPath,
  [cli, 'worker', '--redis', url, '--queue', 'bench', '--concurrency', '2'],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
await new Promise<void>((resolve) =>
  worker.stderr.on('data', (d: Buffer) => d.toString().includes('takes runs') && resolve()),
);
try {
  const local: number[] = [];
  const queued: number[] = [];
  for (let i = 0; i < 15; i++) {
    let start = performance.now();
    await executeRun(loadRunSpec(spec), { reporter: { log() {}, progress() {} } });
    local.push(performance.now() - start);
    start = performance.now();
    const id = await submitRun({ redisUrl: url, queue: 'bench', spec });
    await waitForRun(id, { redisUrl: url, queue: 'bench' });
    queued.push(performance.now() - start);
  }
  let start = performance.now();
  const ids = await Promise.all(
    Array.from({ length: 100 }, () => submitRun({ redisUrl: url, queue: 'bench', spec })),
  );
  await Promise.all(ids.map((id) => waitForRun(id, { redisUrl: url, queue: 'bench', timeoutMs: 300_000 })));
  const queuedSeconds = (performance.now() - start) / 1000;
  // The same 100 runs in this process, two at a time, for comparison.
  start = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next++ < 100) await executeRun(loadRunSpec(spec), { reporter: { log() {}, progress() {} } });
  };
  await Promise.all([lane(), lane()]);
  const localSeconds = (performance.now() - start) / 1000;
  const q = median(queued);
  const l = median(local);
  console.log('| measure | value |\n| --- | --- |');
  console.log(`| in-process run of \`true\` (median of 15) | ${l.toFixed(0)} ms |`);
  console.log(`| queued run of \`true\`, submit → done (median of 15) | ${q.toFixed(0)} ms |`);
  console.log(`| queue overhead per run | ${(q - l).toFixed(0)} ms (ratio ${(q / l).toFixed(2)}) |`);
  console.log(
    `| 100 short runs queued, one worker at concurrency 2 | ${(100 / queuedSeconds).toFixed(1)} runs/s (${queuedSeconds.toFixed(1)} s) |`,
  );
  console.log(
    `| 100 short runs in-process, 2 at a time | ${(100 / localSeconds).toFixed(1)} runs/s (${localSeconds.toFixed(1)} s) |`,
  );
} finally {
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('close', r));
  await redis.stop();
}
