// An unreachable Redis (issue 12, case 10): `status`, `cancel` and `submit` fail with one clear
// line and exit 1 instead of hanging; a worker whose Redis goes away logs one line, not a stack
// per reconnect attempt, and takes runs again once Redis is back.
import { type RedisServerHandle, startRedisServer, TEST_IMAGE, waitFor } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import { submitRun, waitForRun } from '../src/index.ts';
import { freePortOutsideEphemeralRange, runCli, startWorkers, stopWorkers, workersReady } from './helpers.ts';

const spec = JSON.stringify({ image: TEST_IMAGE, pullImage: false, containerArgs: ['true'] });

describe('an unreachable Redis', () => {
  it('makes status, cancel and submit fail with one line and exit 1', async () => {
    const url = `redis://127.0.0.1:${await freePortOutsideEphemeralRange()}`;
    const results = await Promise.all([
      runCli(['status', 'some-id', '--redis', url]),
      runCli(['cancel', 'some-id', '--redis', url]),
      runCli(['submit', '-', '--redis', url], { input: spec }),
      runCli(['submit', '-', '--redis', url, '--wait'], { input: spec }),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        new RegExp(
          `^girder-worker: cannot reach Redis at ${url} \\([^\\n]*ECONNREFUSED[^\\n]*\\): check --redis and that the server runs\\n$`,
        ),
      );
    }
  });

  it('masks the password of a Redis URL in that line', async () => {
    const port = await freePortOutsideEphemeralRange();
    const result = await runCli(['status', 'x', '--redis', `redis://user:pa55-word-x@127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach Redis at redis://user:***@127.0.0.1:${port}`);
    expect(result.stderr).not.toContain('pa55-word-x');
  });

  it('makes a worker log one line while it reconnects, and go on once Redis is back', async () => {
    // Stopped and started again on the same port: a port no other test can be given meanwhile.
    const redis = await startRedisServer({ port: await freePortOutsideEphemeralRange() });
    let restarted: RedisServerHandle | undefined;
    const queue = 'reconnect';
    const workers = startWorkers(redis.url, queue, 1, ['--concurrency', '1']);
    const [worker] = workers;
    if (!worker) throw new Error('no worker');
    try {
      await workersReady(workers);
      await redis.stop();
      await waitFor(() => worker.output().includes('lost the connection to Redis'), 'the lost line', 20_000);
      // Let ioredis and BullMQ fail several reconnect attempts before Redis comes back.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      restarted = await startRedisServer({ port: redis.port });
      await waitFor(() => worker.output().includes('reconnected to Redis'), 'the reconnected line', 30_000);
      const id = await submitRun({ redisUrl: redis.url, queue, spec: JSON.parse(spec) });
      const result = await waitForRun(id, { redisUrl: redis.url, queue, timeoutMs: 60_000 });
      expect(result.exitCode).toBe(0);
    } finally {
      await stopWorkers(workers);
      await restarted?.stop();
    }
    const output = worker.output();
    expect(output.match(/lost the connection to Redis/g)).toHaveLength(1);
    expect(output).toContain(`lost the connection to Redis at ${redis.url} (`);
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain('Unhandled error event');
  });
});
