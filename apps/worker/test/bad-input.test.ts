// Bad queued input fails at once, without retries (issue 12, case 12): queue data that is null or
// of the wrong types is refused as GW_BAD_INPUT on its first try (a permanent Girder 400 is in
// secrets.test.ts). Case 17: a container's terminal escapes do not reach the failure summary raw.
import { type RedisServerHandle, startRedisServer, TEST_IMAGE } from '@girder-worker/test-helpers';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRunStatus, isRunFailedError, waitForRun } from '../src/index.ts';
import { connectionOf } from '../src/queue-common.ts';
import { runCli, startWorkers, stopWorkers, workersReady } from './helpers.ts';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const good = { image: TEST_IMAGE, pullImage: false, containerArgs: ['true'] };

describe('bad queued input', () => {
  it('fails on its first try as GW_BAD_INPUT, naming what is wrong', async () => {
    const queue = 'bad-input';
    const q = new Queue(queue, { connection: connectionOf(redis.url) });
    const cases: [unknown, RegExp][] = [
      [null, /\(job data\): expected an object with a spec, got null/],
      [{ spec: { ...good, image: 5 } }, /image: expected/],
      [{ spec: null }, /expected a run spec object, got null/],
      [{ spec: good, girderToken: 7 }, /girderToken: expected a string/],
      [{ spec: good, girderJob: 'x' }, /girderJob: expected an object/],
    ];
    const ids: string[] = [];
    try {
      for (const [data] of cases) ids.push((await q.add('run', data as never, { attempts: 3 })).id as string);
    } finally {
      await q.close();
    }
    const workers = startWorkers(redis.url, queue, 1);
    try {
      await workersReady(workers);
      for (const [i, id] of ids.entries()) {
        const error = await waitForRun(id, { redisUrl: redis.url, queue, timeoutMs: 60_000 }).catch((e) => e);
        expect(isRunFailedError(error)).toBe(true);
        expect(error.failureCode).toBe('GW_BAD_INPUT');
        expect(error.reason).toMatch((cases[i] as [unknown, RegExp])[1]);
        const status = await getRunStatus(id, { redisUrl: redis.url, queue });
        expect(status).toMatchObject({ state: 'failed', attemptsMade: 1, failureCode: 'GW_BAD_INPUT' });
      }
    } finally {
      await stopWorkers(workers);
    }
  });
});

describe('the failure summary of `run`', () => {
  it('shows a container’s terminal escapes as text, not as escapes', async () => {
    const result = await runCli([
      'run',
      '--image',
      TEST_IMAGE,
      '--no-pull',
      '--',
      'sh',
      '-c',
      `printf '\\033]0;pwned\\007\\033[2J\\033[31mred\\rgone\\n' >&2; exit 3`,
    ]);
    expect(result.code).toBe(1);
    const at = result.stderr.indexOf('girder-worker: ');
    expect(at).toBeGreaterThanOrEqual(0);
    const summary = result.stderr.slice(at);
    expect(summary).toMatch(/exited with code 3; stderr ends with:\n/);
    expect(summary).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\x0dgone');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escapes must not be there
    expect(summary).not.toMatch(/[\u001b\u0007\r]/);
  });
});
