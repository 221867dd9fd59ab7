import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGirderTestServer } from '@girder-worker/girder-test-server';
import {
  makeTempDir,
  type RedisServerHandle,
  startRedisServer,
  TEST_IMAGE,
  waitFor,
} from '@girder-worker/test-helpers';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelRun,
  createWorker,
  createWorkerMetrics,
  getRunStatus,
  serveMetrics,
  startDashboard,
  submitRun,
  waitForRun,
} from '../src/index.ts';

let redis: RedisServerHandle;
let browser: Browser;

beforeAll(async () => {
  redis = await startRedisServer();
  browser = await chromium.launch({
    executablePath: process.env.GW_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await redis?.stop();
});

/** A page that may reach loopback only (the board links a web font; nothing leaves the machine). */
async function loopbackPage() {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    return hostname === '127.0.0.1' || hostname === 'localhost' ? route.continue() : route.abort();
  });
  return page;
}

const echo = (word: string) => ({ image: TEST_IMAGE, pullImage: false, containerArgs: ['echo', word] });

/** The value of one sample line of a Prometheus scrape (0 when absent). */
function sample(scrape: string, name: string, labels = ''): number {
  const line = scrape.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('girder-worker dashboard and metrics', () => {
  it('shows ten runs moving from waiting to completed, failed and cancelled; never a token; metrics count them exactly', async () => {
    const queue = `dash-${Date.now().toString(36)}`;
    const girder = await startGirderTestServer();
    const dir = await makeTempDir();
    try {
      // Ten runs, queued before any worker exists: seven succeed, two fail, one is cancelled.
      const job = girder.createJob({ title: 'reported run' });
      const ids: string[] = [];
      ids.push(
        await submitRun({
          redisUrl: redis.url,
          queue,
          spec: echo('girder'),
          girderJob: { apiUrl: girder.apiUrl, jobId: job.job._id, token: job.token },
        }),
      );
      for (let i = 0; i < 5; i++)
        ids.push(await submitRun({ redisUrl: redis.url, queue, spec: echo(`ok-${i}`) }));
      // One run streams a host file through a named pipe: its bytes are counted by connector kind.
      const input = join(dir, 'input.bin');
      await writeFile(input, Buffer.alloc(123_457, 7));
      const pipe = {
        $transform: 'Connect',
        input: { $transform: 'HostFileSource', path: input },
        output: { $transform: 'NamedInputPipe', name: 'input.bin' },
      };
      ids.push(
        await submitRun({
          redisUrl: redis.url,
          queue,
          spec: { image: TEST_IMAGE, pullImage: false, containerArgs: ['wc', '-c', pipe] },
        }),
      );
      for (let i = 0; i < 2; i++)
        ids.push(
          await submitRun({
            redisUrl: redis.url,
            queue,
            spec: {
              image: TEST_IMAGE,
              pullImage: false,
              containerArgs: ['sh', '-c', `echo failing-${i} >&2; exit 3`],
            },
          }),
        );
      const slow = await submitRun({
        redisUrl: redis.url,
        queue,
        spec: { image: TEST_IMAGE, pullImage: false, containerArgs: ['sleep', '300'] },
      });
      ids.push(slow);

      await using dashboard = await startDashboard({ redisUrl: redis.url, queue, port: 0 });
      expect(new URL(dashboard.url).hostname).toBe('127.0.0.1');
      const page = await loopbackPage();
      const api: string[] = [];
      page.on('response', (response) => {
        if (response.url().includes('/api/'))
          void response.text().then(
            (t) => api.push(t),
            () => {},
          );
      });
      await page.goto(`${dashboard.url}queue/${queue}?status=waiting`);
      await page.getByText(`${TEST_IMAGE}`).first().waitFor();
      await page
        .getByText('echo')
        .first()
        .click()
        .catch(() => {});
      const waitingHtml = await page.content();
      expect(waitingHtml).toContain(TEST_IMAGE);
      expect(waitingHtml).not.toContain(job.token);
      expect(api.join('\n')).not.toContain(job.token);

      const metrics = await createWorkerMetrics();
      await using worker = await createWorker({
        redisUrl: redis.url,
        queue,
        concurrency: 2,
        onEvent: metrics.onEvent,
        stopGraceMs: 1000,
      });
      await using scrape = await serveMetrics(metrics.registry, { port: 0 });

      for (const id of ids.slice(0, 7)) await waitForRun(id, { redisUrl: redis.url, queue });
      for (const id of ids.slice(7, 9))
        await expect(waitForRun(id, { redisUrl: redis.url, queue })).rejects.toThrow(/code 3/);
      // A running run is stopped by its worker (not removed from the queue): it fails as cancelled.
      await waitFor(
        async () => (await (await fetch(scrape.url)).text()).includes('girder_worker_containers_running 1'),
        'the slow run to start',
        60_000,
      );
      expect((await getRunStatus(slow, { redisUrl: redis.url, queue }))?.state).toBe('active');
      expect(await cancelRun(slow, { redisUrl: redis.url, queue })).toBe('signalled');
      await expect(waitForRun(slow, { redisUrl: redis.url, queue })).rejects.toThrow(/cancel/);

      // The page: completed and failed runs with their image, worker and failure reason.
      await page.goto(`${dashboard.url}queue/${queue}?status=completed`);
      await page.getByText(`on ${worker.id}`).first().waitFor();
      const completedHtml = await page.content();
      expect(completedHtml.split(`${TEST_IMAGE} on ${worker.id}`).length - 1).toBeGreaterThanOrEqual(7);
      await page.goto(`${dashboard.url}queue/${queue}?status=failed`);
      await page
        .getByText(/exit(ed)? (with )?code 3|code 3/)
        .first()
        .waitFor();
      const failedHtml = await page.content();
      expect(failedHtml).toMatch(/cancelled/);
      expect(failedHtml).not.toContain(job.token);
      const counts = (await (
        await fetch(`${dashboard.url}api/queues?activeQueue=${queue}&status=latest&page=1`)
      ).json()) as {
        queues: { name: string; counts: Record<string, number> }[];
      };
      const mine = counts.queues.find((q) => q.name === queue);
      expect(mine?.counts).toMatchObject({ completed: 7, failed: 3, active: 0, waiting: 0 });
      const shot = join(dir, 'dashboard.png');
      await page.goto(`${dashboard.url}queue/${queue}?status=completed`);
      await page.getByText(`on ${worker.id}`).first().waitFor();
      await page.screenshot({ path: shot, fullPage: false });
      if (process.env.GW_DASHBOARD_SCREENSHOT) await copyFile(shot, process.env.GW_DASHBOARD_SCREENSHOT);
      await page.close();

      // The scrape: exact counts of what happened.
      const text = await (await fetch(scrape.url)).text();
      if (process.env.GW_METRICS_SCRAPE) await writeFile(process.env.GW_METRICS_SCRAPE, text);
      const image = `{image="${TEST_IMAGE}"}`;
      expect(sample(text, 'girder_worker_runs_started_total', image)).toBe(10);
      expect(
        sample(text, 'girder_worker_runs_finished_total', `{image="${TEST_IMAGE}",outcome="succeeded"}`),
      ).toBe(7);
      expect(
        sample(text, 'girder_worker_runs_finished_total', `{image="${TEST_IMAGE}",outcome="failed"}`),
      ).toBe(2);
      expect(
        sample(text, 'girder_worker_runs_finished_total', `{image="${TEST_IMAGE}",outcome="cancelled"}`),
      ).toBe(1);
      expect(sample(text, 'girder_worker_run_duration_seconds_count', '{outcome="succeeded"}')).toBe(7);
      expect(sample(text, 'girder_worker_queue_wait_seconds_count')).toBe(10);
      expect(sample(text, 'girder_worker_containers_running')).toBe(0);
      expect(sample(text, 'girder_worker_stalled_runs_total')).toBe(0);
      // The run with a Girder job reported to it: RUNNING, log, SUCCESS (PUT /job/<id>), all 200.
      expect(
        sample(text, 'girder_worker_girder_requests_total', '{method="PUT",status="200"}'),
      ).toBeGreaterThan(0);
      expect(sample(text, 'girder_worker_girder_retries_total', '{status="503"}')).toBe(0);
      expect(
        sample(text, 'girder_worker_stream_bytes_total', '{kind="HostFileSource → NamedInputPipe"}'),
      ).toBe(123_457);
      expect((await fetch(scrape.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await girder.close();
    }
  });

  it('read-only mode refuses retry and remove, and the board binds to loopback by default', async () => {
    const queue = `dash-ro-${Date.now().toString(36)}`;
    await using dashboard = await startDashboard({ redisUrl: redis.url, queue, port: 0, readOnly: true });
    expect(new URL(dashboard.url).hostname).toBe('127.0.0.1');
    const body = (await (await fetch(`${dashboard.url}api/queues?activeQueue=${queue}&page=1`)).json()) as {
      queues: { name: string; readOnlyMode: boolean; allowRetries: boolean }[];
    };
    expect(body.queues.find((q) => q.name === queue)).toMatchObject({
      readOnlyMode: true,
      allowRetries: false,
    });
    const id = await submitRun({ redisUrl: redis.url, queue, spec: echo('kept') });
    const removed = await fetch(`${dashboard.url}api/queues/${queue}/${id}/clean`, { method: 'PUT' });
    expect(removed.status).toBeGreaterThanOrEqual(400);
  });

  it('refuses a bad port or queue name before listening', async () => {
    await expect(startDashboard({ redisUrl: redis.url, port: 70_000 })).rejects.toThrow(/port/);
    await expect(startDashboard({ redisUrl: redis.url, queue: 'a:b' })).rejects.toThrow(/queue/);
    await expect(serveMetrics((await createWorkerMetrics()).registry, { port: -1 })).rejects.toThrow(
      /metricsPort/,
    );
  });
});

describe('stream kinds in metrics', () => {
  it('labels bytes by connector classes, never by their values', async () => {
    const { streamKind } = await import('../src/metrics/worker-metrics.ts');
    expect(streamKind('Connect(HostFileSource(/data/a.csv) → NamedInputPipe(a))')).toBe(
      'HostFileSource → NamedInputPipe',
    );
    expect(streamKind('ProgressPipe(.girder_progress)')).toBe('ProgressPipe');
    expect(streamKind('???')).toBe('stream');
  });
});
