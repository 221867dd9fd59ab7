// Dashboard page load with 10,000 finished runs in the queue, against the same board over a queue
// of 10 finished runs, in the same run: time until the first run card shows in headless Chromium,
// and the board's API answer for the page. Needs Chromium (/usr/bin/chromium or GW_CHROMIUM).
// Rerun: pnpm --filter girder-worker bench
import { median, startRedisServer, TEST_IMAGE } from '@girder-worker/test-helpers';
import { Queue, Worker } from 'bullmq';
import { chromium } from 'playwright-core';
import { startDashboard } from '../src/index.ts';

// A private redis-server on a free loopback port, answering before the bench starts.
const redis = await startRedisServer();
const url = redis.url;
const connection = { url, maxRetriesPerRequest: null };

/** Fills `name` with `count` finished runs (a run spec as data, a dockerRun-like result). */
async function fill(name: string, count: number): Promise<void> {
  const queue = new Queue(name, { connection });
  for (let i = 0; i < count; i += 1000) {
    const n = Math.min(1000, count - i);
    await queue.addBulk(
      Array.from({ length: n }, (_, k) => ({
        name: 'run',
        data: {
          spec: { image: TEST_IMAGE, pullImage: false, containerArgs: ['echo', `run ${i + k}`] },
          girderToken: 'not-shown',
        },
      })),
    );
  }
  const worker = new Worker(
    name,
    async () => ({ exitCode: 0, containerId: 'c'.repeat(64), results: [], worker: 'bench' }),
    { connection, concurrency: 100 },
  );
  while (((await queue.getJobCounts('completed')).completed ?? 0) < count)
    await new Promise((r) => setTimeout(r, 200));
  await worker.close();
  await queue.close();
}

const browser = await chromium.launch({
  executablePath: process.env.GW_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const started = performance.now();
  await fill('small', 10);
  await fill('large', 10_000);
  const fillSeconds = (performance.now() - started) / 1000;
  const board = await startDashboard({ redisUrl: url, queue: 'large', port: 0 });
  const small = await startDashboard({ redisUrl: url, queue: 'small', port: 0 });
  const load = async (base: string, queue: string): Promise<number> => {
    const page = await browser.newPage();
    await page.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
    );
    const t = performance.now();
    await page.goto(`${base}queue/${queue}?status=completed`);
    await page.getByText(`${TEST_IMAGE} on bench`).first().waitFor({ timeout: 60_000 });
    const ms = performance.now() - t;
    await page.close();
    return ms;
  };
  const api = async (base: string, queue: string): Promise<number> => {
    const t = performance.now();
    await (await fetch(`${base}api/queues?activeQueue=${queue}&status=completed&page=1`)).json();
    return performance.now() - t;
  };
  const pages = { small: [] as number[], large: [] as number[] };
  const apis = { small: [] as number[], large: [] as number[] };
  for (let round = 0; round < 7; round++) {
    pages.small.push(await load(small.url, 'small'));
    pages.large.push(await load(board.url, 'large'));
    apis.small.push(await api(small.url, 'small'));
    apis.large.push(await api(board.url, 'large'));
  }
  console.log(
    '| dashboard (median of 7 interleaved rounds) | 10 finished runs | 10,000 finished runs | ratio |',
  );
  console.log('| --- | --- | --- | --- |');
  const row = (what: string, a: number[], b: number[]) =>
    console.log(
      `| ${what} | ${median(a).toFixed(0)} ms | ${median(b).toFixed(0)} ms | ${(median(b) / median(a)).toFixed(2)} |`,
    );
  row('page load until the first run shows (Chromium)', pages.small, pages.large);
  row('board API answer for that page', apis.small, apis.large);
  console.log(`(filling the two queues took ${fillSeconds.toFixed(1)} s)`);
  await board.close();
  await small.close();
} finally {
  await browser.close();
  await redis.stop();
}
