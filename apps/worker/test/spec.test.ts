import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunPolicy } from '@girder-worker/docker';
import { LOCAL_IMAGE, type RedisServerHandle, startRedisServer } from '@girder-worker/test-helpers';
import { type BindMountVolume, isSpecValidationError } from '@girder-worker/transforms';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorker, loadRunSpec, resolveSpecPaths, submitRun } from '../src/index.ts';

const relativeVolume = {
  $transform: 'BindMountVolume',
  hostPath: 'gw-relative-dir',
  containerPath: '/mnt/r',
};

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isSpecValidationError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('not refused');
}

describe('loadRunSpec: the same checks as dockerRun', () => {
  it.each([
    [
      { ...LOCAL_IMAGE, pullImage: 'yes' },
      'pullImage: expected true, false, "always", "if-not-present" or "never", got "yes"',
    ],
    [
      { ...LOCAL_IMAGE, image: 'Not An Image' },
      'image: expected an image name such as "alpine:3", got "Not An Image"',
    ],
    [
      { ...LOCAL_IMAGE, createOptions: { Env: 'A=1' } },
      'createOptions.Env: expected an array of "NAME=value" strings, got "A=1"',
    ],
    [
      { ...LOCAL_IMAGE, streamConnectors: ['x'] },
      'streamConnectors[0]: expected a stream connector transform (Connect, ProgressPipe, …), got "x"',
    ],
    [
      { ...LOCAL_IMAGE, girder: { apiUrl: 'http://127.0.0.1:1/api/v1', apiKey: 'secret-key' } },
      'girder.apiKey: expected no API key in a spec (pass GIRDER_TOKEN, or girderToken at submit), got "(hidden)"',
    ],
    [
      { ...LOCAL_IMAGE, girder: { apiUrl: 'http://127.0.0.1:1/api/v1', user: 'me' } },
      'girder.user: expected apiUrl or jobId, got "user"',
    ],
    [
      {
        ...LOCAL_IMAGE,
        containerArgs: [
          {
            $transform: 'Connect',
            input: { $transform: 'NamedInputPipe', name: 'in' },
            output: { $transform: 'HostFileSink', path: '/tmp/out' },
          },
        ],
      },
      'containerArgs[0].input: expected a source: NamedInputPipe is a place bytes go to (are input and output swapped?), got a NamedInputPipe transform',
    ],
  ])('refuses %j naming the field', (json, message) => {
    expect(refusal(() => loadRunSpec(json))).toBe(message);
  });

  it('submitRun refuses what run refuses, before anything is queued', async () => {
    const error = await submitRun({
      redisUrl: 'redis://127.0.0.1:1',
      spec: { ...LOCAL_IMAGE, pullImage: 'yes' },
    }).catch((e: unknown) => e);
    expect(isSpecValidationError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'pullImage: expected true, false, "always", "if-not-present" or "never", got "yes"',
    );
  });

  it('resolves relative host paths by the fields that are paths, only given a base directory', () => {
    expect(refusal(() => loadRunSpec({ ...LOCAL_IMAGE, containerArgs: [relativeVolume] }))).toBe(
      'containerArgs[0].hostPath: expected an absolute path, got "gw-relative-dir"',
    );
    const spec = loadRunSpec(
      { ...LOCAL_IMAGE, containerArgs: [relativeVolume, 'hostPath'] },
      { baseDir: '/srv/specs' },
    );
    expect((spec.options.containerArgs as BindMountVolume[])[0]?.hostPath).toBe('/srv/specs/gw-relative-dir');
    expect(spec.options.containerArgs?.[1]).toBe('hostPath');
    const resolved = resolveSpecPaths(
      {
        ...LOCAL_IMAGE,
        containerArgs: [{ $transform: 'HostFileSource', path: 'in.txt' }],
        girder: { apiUrl: 'http://127.0.0.1:1/api/v1' },
      },
      '/srv/specs',
    );
    expect(resolved).toMatchObject({
      containerArgs: [{ $transform: 'HostFileSource', path: '/srv/specs/in.txt' }],
      girder: { apiUrl: 'http://127.0.0.1:1/api/v1' },
    });
  });
});

describe('a worker and specs from the queue', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** Queues raw job data (as any producer with access to Redis could) and waits for its failure. */
  async function failureOf(queueName: string, spec: unknown): Promise<{ reason: string; attempts: number }> {
    const connection = { url: redis.url, maxRetriesPerRequest: null };
    const queue = new Queue(queueName, { connection });
    const events = new QueueEvents(queueName, { connection });
    try {
      await events.waitUntilReady();
      const job = await queue.add('run', { spec }, { attempts: 3 });
      const reason = await job.waitUntilFinished(events).then(
        () => 'completed',
        (error: Error) => error.message,
      );
      const after = await queue.getJob(job.id as string);
      return { reason, attempts: after?.attemptsMade ?? -1 };
    } finally {
      await events.close();
      await queue.close();
    }
  }

  it('fails a queued spec with a relative host path as bad input: not retried, nothing made in its cwd', async () => {
    await using _worker = await createWorker({
      redisUrl: redis.url,
      queue: 'spec-relative',
      reapIntervalMs: 0,
    });
    const outcome = await failureOf('spec-relative', {
      ...LOCAL_IMAGE,
      containerArgs: ['ls', relativeVolume],
    });
    expect(outcome.reason).toBe(
      'GW_BAD_INPUT: containerArgs[1].hostPath: expected an absolute path, got "gw-relative-dir"',
    );
    expect(outcome.attempts).toBe(1);
    expect(existsSync(join(process.cwd(), 'gw-relative-dir'))).toBe(false);
  });

  it('holds queued specs to the worker policy: a refused run is bad input, not retried', async () => {
    const policy = parseRunPolicy({ images: ['girder-worker-test/*'] });
    await using _worker = await createWorker({
      redisUrl: redis.url,
      queue: 'spec-policy',
      reapIntervalMs: 0,
      policy,
    });
    const outcome = await failureOf('spec-policy', {
      ...LOCAL_IMAGE,
      containerArgs: ['true'],
      createOptions: { HostConfig: { Privileged: true } },
    });
    expect(outcome.reason).toBe(
      'GW_BAD_INPUT: createOptions.HostConfig.Privileged: expected not set (forbidden by the worker policy), got true',
    );
    expect(outcome.attempts).toBe(1);
  });
});
