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
import { freePortOutsideEphemeralRange, runCli, startCli } from './helpers.ts';

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

describe('girder-worker celery with a broker it cannot use', () => {
  const secret = 's3cret-pa55';

  it('exits 2 on a broker URL, backend URL or option it refuses, before connecting, with no password shown', async () => {
    const closed = `redis://:${secret}@127.0.0.1:${await freePortOutsideEphemeralRange()}/0`;
    const cases: [string[], string][] = [
      [
        ['--broker', `ftp://user:${secret}@127.0.0.1/`],
        "expected the scheme redis, rediss, amqp, amqps or pyamqp, got 'ftp'",
      ],
      [['--broker', closed, '--backend', `ftp://user:${secret}@127.0.0.1/`], 'backend: expected rpc://'],
      [
        ['--broker', closed, '--concurrency', '0'],
        'options.concurrency: expected an integer from 1 to 1000, got 0',
      ],
    ];
    for (const [args, says] of cases) {
      const result = await runCli(['celery', ...args]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(says);
      expect(result.stderr).not.toContain(secret);
    }
  });

  it('exits 1 on a broker it cannot reach, naming it with its password masked', async () => {
    const port = await freePortOutsideEphemeralRange();
    const result = await runCli(['celery', '--broker', `redis://:${secret}@127.0.0.1:${port}/0`]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`cannot connect to the Redis broker redis://:***@127.0.0.1:${port}/0`);
    expect(result.stderr).not.toContain(secret);
  });
});
