import { assertNoLeaks, LOCAL_IMAGE, testDocker } from '@girder-worker/test-helpers';
import { isSpecValidationError } from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun, parseRunPolicy, planContainer } from '../src/index.ts';
import { collectingReporter } from './helpers.ts';

afterEach(() => assertNoLeaks());

const MiB = 1024 * 1024;

describe('resources', () => {
  it('maps typed limits to the Engine API and the container runs under them', async () => {
    const reporter = collectingReporter();
    const { containerId } = await dockerRun({
      ...LOCAL_IMAGE,
      resources: {
        memoryBytes: 64 * MiB,
        memorySwapBytes: 128 * MiB,
        cpus: 0.5,
        pidsLimit: 32,
        shmSizeBytes: 16 * MiB,
        ulimits: { nofile: { soft: 256, hard: 512 }, core: 0 },
      },
      containerArgs: ['sh', '-c', 'ulimit -n; ulimit -Hn; df -k /dev/shm | tail -n 1'],
      reporter,
      removeContainer: false,
    });
    const container = testDocker().getContainer(containerId);
    const { HostConfig: hostConfig } = await container.inspect();
    await container.remove({ force: true });
    expect(hostConfig).toMatchObject({
      Memory: 64 * MiB,
      MemorySwap: 128 * MiB,
      NanoCpus: 500_000_000,
      PidsLimit: 32,
      ShmSize: 16 * MiB,
      Ulimits: [
        { Name: 'nofile', Soft: 256, Hard: 512 },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
    });
    const [soft, hard, shm] = reporter.stdout();
    expect([soft, hard]).toEqual(['256', '512']);
    expect(shm?.split(/\s+/)[1]).toBe(String(16 * 1024));
  });

  it('puts typed resources over the create options in the planned body', () => {
    const { create } = planContainer({
      options: { image: 'img', resources: { cpus: 2 }, createOptions: { HostConfig: { ShmSize: 1 } } },
      containerArgs: [],
      environment: {},
      binds: [],
      labels: {},
    });
    expect(create.HostConfig).toEqual({ ShmSize: 1, NanoCpus: 2_000_000_000, Binds: [] });
  });

  it.each([
    [{ resources: 'big' }, 'resources: expected an object of resource limits, got "big"'],
    [
      { resources: { memory: 1 } },
      /^resources\.memory: expected a resource \(memoryBytes, memorySwapBytes, /,
    ],
    [{ resources: { memoryBytes: 1024 } }, 'resources.memoryBytes: expected an integer >= 6291456, got 1024'],
    [
      { resources: { memorySwapBytes: 64 * MiB } },
      'resources.memorySwapBytes: expected set together with memoryBytes, got 67108864',
    ],
    [
      { resources: { memoryBytes: 64 * MiB, memorySwapBytes: 32 * MiB } },
      'resources.memorySwapBytes: expected an integer >= 67108864, got 33554432',
    ],
    [{ resources: { cpus: 0 } }, 'resources.cpus: expected a number of CPUs from 0.01, e.g. 1.5, got 0'],
    [{ resources: { pidsLimit: 1.5 } }, 'resources.pidsLimit: expected an integer >= 1, got 1.5'],
    [
      { resources: { ulimits: { nofile: { soft: 10, hard: 5 } } } },
      'resources.ulimits.nofile.hard: expected at least soft (10), got 5',
    ],
    [
      { resources: { ulimits: { NoFile: 5 } } },
      'resources.ulimits.NoFile: expected a ulimit name such as "nofile", got "NoFile"',
    ],
    [
      { resources: { shmSizeBytes: MiB }, createOptions: { HostConfig: { ShmSize: MiB } } },
      'resources.shmSizeBytes: expected not set together with createOptions.HostConfig.ShmSize, got 1048576',
    ],
    [{ timeoutMs: 0 }, 'timeoutMs: expected a number of milliseconds > 0, got 0'],
  ])('refuses %j before any container starts', async (options, message) => {
    const error = await dockerRun({ ...LOCAL_IMAGE, containerArgs: ['true'], ...options } as never).catch(
      (e: unknown) => e,
    );
    expect(isSpecValidationError(error)).toBe(true);
    if (typeof message === 'string') expect((error as Error).message).toBe(message);
    else expect((error as Error).message).toMatch(message);
  });

  it('holds typed resources to the policy’s limits', async () => {
    const policy = parseRunPolicy({ images: ['girder-worker-test/*'], memoryBytes: 32 * MiB });
    const error = await dockerRun({
      ...LOCAL_IMAGE,
      policy,
      containerArgs: ['true'],
      resources: { memoryBytes: 64 * MiB },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'resources.memoryBytes: expected at most 33554432 (the limit set by the worker policy), got 67108864',
    );
  });
});
