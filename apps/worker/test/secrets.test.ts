// Secrets never reach what we store or print (issue 12, cases 9 and 15): a Girder that echoes the
// request headers (token included) in its error body, run by the CLI and through the queue.
import { type RedisServerHandle, startRedisServer, TEST_IMAGE } from '@girder-worker/test-helpers';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOf } from '../src/queue-common.ts';
import { runCli, startEchoingGirder, startWorkers, stopWorkers, workersReady } from './helpers.ts';

const TOKEN = 'gwTokenQ8x2Lm9Pv4Rt6Yw1Zk3';
const FILE_ID = '65f0a1b2c3d4e5f601234567';

let redis: RedisServerHandle;
let queueCounter = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const girderSpec = (apiUrl: string) => ({
  image: TEST_IMAGE,
  pullImage: false,
  containerArgs: ['cat', { $transform: 'GirderFileIdToVolume', fileId: FILE_ID }],
  girder: { apiUrl },
});

async function jobOf(queue: string, id: string): Promise<Job> {
  const q = new Queue(queue, { connection: connectionOf(redis.url) });
  try {
    const job = await Job.fromId(q, id);
    if (!job) throw new Error(`no job ${id}`);
    return job;
  } finally {
    await q.close();
  }
}

describe('secrets echoed by a Girder', () => {
  it('are masked on the CLI’s stderr when `run` fails', async () => {
    const girder = await startEchoingGirder();
    const result = await runCli(['run', '-'], {
      input: JSON.stringify(girderSpec(girder.apiUrl)),
      env: { GIRDER_TOKEN: TOKEN },
    });
    // The token did travel, and the Girder did echo it: the CLI is what kept it out.
    expect(girder.seen.some((headers) => headers['girder-token'] === TOKEN)).toBe(true);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Girder answered 400');
    expect(result.stderr).toContain('"girder-token":"***"');
    expect(result.stderr + result.stdout).not.toContain(TOKEN);
  });

  it('are masked in failedReason, stacktrace, status, submit --wait and worker logs; the run is not retried', async () => {
    const girder = await startEchoingGirder();
    const queue = `echo-${++queueCounter}`;
    const workers = startWorkers(redis.url, queue, 1, ['--verbose']);
    try {
      await workersReady(workers);
      const submitted = await runCli(
        ['submit', '-', '--redis', redis.url, '--queue', queue, '--wait', '--json'],
        {
          input: JSON.stringify(girderSpec(girder.apiUrl)),
          env: { GIRDER_TOKEN: TOKEN },
        },
      );
      expect(girder.seen.some((headers) => headers['girder-token'] === TOKEN)).toBe(true);
      expect(submitted.code).toBe(1);
      expect(submitted.stderr).toContain('"girder-token":"***"');
      expect(submitted.stderr + submitted.stdout).not.toContain(TOKEN);

      const job = await jobOf(queue, (/run (\S+) failed/.exec(submitted.stderr) ?? [])[1] as string);
      expect(job.failedReason).toMatch(/^GW_BAD_INPUT: /);
      expect(job.failedReason).toContain('***');
      expect(job.failedReason).not.toContain(TOKEN);
      expect((job.stacktrace ?? []).length).toBeGreaterThan(0);
      expect((job.stacktrace ?? []).join('\n')).not.toContain(TOKEN);
      // A permanent Girder refusal is bad input: one try, though three were allowed.
      expect(job.attemptsMade).toBe(1);
      expect(job.opts.attempts).toBe(3);
      // Settled for good: its token is gone from the job data.
      expect(JSON.stringify(job.data)).not.toContain(TOKEN);

      const status = await runCli(['status', job.id as string, '--redis', redis.url, '--queue', queue]);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ state: 'failed', failureCode: 'GW_BAD_INPUT' });
      expect(status.stdout).not.toContain(TOKEN);
    } finally {
      await stopWorkers(workers);
    }
    const output = workers[0]?.output() ?? '';
    expect(output).toContain('run failed');
    expect(output).not.toContain(TOKEN);
  });
});

describe('tokens in the queue', () => {
  it('are not queued for a spec without a Girder', async () => {
    const queue = `no-girder-${++queueCounter}`;
    const submitted = await runCli(['submit', '-', '--redis', redis.url, '--queue', queue], {
      input: JSON.stringify({ image: TEST_IMAGE, pullImage: false, containerArgs: ['true'] }),
      env: { GIRDER_TOKEN: TOKEN },
    });
    expect(submitted.code).toBe(0);
    const job = await jobOf(queue, submitted.stdout.trim());
    expect(job.data).toEqual({ spec: { image: TEST_IMAGE, pullImage: false, containerArgs: ['true'] } });
    expect((await runCli(['cancel', job.id as string, '--redis', redis.url, '--queue', queue])).stdout).toBe(
      'removed\n',
    );
  });
});
