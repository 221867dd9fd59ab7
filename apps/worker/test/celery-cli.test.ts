import { publishDockerRun } from '@girder-worker/celery';
import { JobStatus } from '@girder-worker/girder';
import { startGirderTestServer } from '@girder-worker/girder-test-server';
import {
  assertNoLeaks,
  freePort,
  type RedisServerHandle,
  startRedisServer,
  TEST_IMAGE,
  waitFor,
} from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from './helpers.ts';

let redis: RedisServerHandle;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describe('girder-worker celery', () => {
  it("takes a docker_run task from Girder's queue, reports the job, counts it, and stops cleanly on SIGTERM", async () => {
    const girder = await startGirderTestServer();
    try {
      const broker = redis.url;
      const metricsPort = await freePort();
      const worker = startCli([
        'celery',
        '--broker',
        broker,
        '--backend',
        'disabled',
        '--metrics-port',
        String(metricsPort),
        '--stop-grace-ms',
        '500',
      ]);
      await waitFor(
        () => worker.output().includes('takes docker_run tasks from celery'),
        'the worker',
        30_000,
      );
      const { job } = girder.createJob({ title: 'docker_run', type: 'celery' });
      await publishDockerRun(broker, {
        image: TEST_IMAGE,
        pullImage: false,
        containerArgs: ['echo', 'hello from the CLI'],
        jobInfoSpec: job.jobInfoSpec as never,
      });
      await waitFor(() => girder.getJob(job._id).status === JobStatus.SUCCESS, 'the job to succeed', 60_000);
      expect(girder.getJob(job._id).log.join('')).toContain('hello from the CLI\n');
      const scrape = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(scrape).toContain(
        `girder_worker_runs_finished_total{image="${TEST_IMAGE}",outcome="succeeded"} 1`,
      );
      worker.kill('SIGTERM');
      const result = await worker.result;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('SIGTERM: no new tasks; finishing running tasks');
    } finally {
      await girder.close();
    }
    await assertNoLeaks();
  });
});
