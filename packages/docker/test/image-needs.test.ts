import { execFileSync } from 'node:child_process';
import { assertNoLeaks, TEST_IMAGE, testDocker } from '@girder-worker/test-helpers';
import { isSpecValidationError } from '@girder-worker/transforms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { boundImageNeeds, readImageNeeds } from '../src/image-needs.ts';
import { dockerRun, parseByteSize, planContainer } from '../src/index.ts';

const MiB = 1024 * 1024;
const docker = testDocker();
const NEEDY = `gw-test-needy-${process.pid}:1`;
const WRONG = `gw-test-wrong-needs-${process.pid}:1`;

/** Builds a local image from the test image with extra labels (no registry needed). */
function buildWithLabels(name: string, labels: Record<string, string>): void {
  const lines = Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`);
  execFileSync('docker', ['build', '-q', '-t', name, '-'], {
    input: [`FROM ${TEST_IMAGE}`, ...lines, ''].join('\n'),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}

beforeAll(() => {
  buildWithLabels(NEEDY, {
    'org.girder-worker.needs.memory': '64m',
    'org.girder-worker.needs.shm-size': '32MiB',
    'org.girder-worker.needs.pids-limit': '100',
    'org.girder-worker.needs.cpus': '0.5',
  });
  buildWithLabels(WRONG, { 'org.girder-worker.needs.memory': 'lots' });
}, 120_000);
afterAll(async () => {
  for (const image of [NEEDY, WRONG])
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => {});
});
afterEach(() => assertNoLeaks());

describe('needs declared by the image', () => {
  it('reads sizes and counts from labels, and names the image and label of a bad one', () => {
    expect(parseByteSize('512m')).toBe(512 * MiB);
    expect(parseByteSize('1.5G')).toBe(1.5 * 1024 * MiB);
    expect(parseByteSize('64MiB')).toBe(64 * MiB);
    expect(parseByteSize('1048576')).toBe(MiB);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(
      readImageNeeds('x', {
        'org.girder-worker.needs.memory': '4g',
        'org.girder-worker.needs.gpus': 'all',
        'org.opencontainers.image.title': 'kept out',
      }),
    ).toEqual({ resources: { memoryBytes: 4 * 1024 * MiB }, gpus: true });
    expect(() => readImageNeeds('x', { 'org.girder-worker.needs.memory': 'lots' })).toThrow(
      'image \'x\' label org.girder-worker.needs.memory: expected a size such as "4g"',
    );
    expect(() => readImageNeeds('x', { 'org.girder-worker.needs.disk': '1g' })).toThrow(/one of memory/);
    expect(() => readImageNeeds('x', { 'org.girder-worker.needs.gpus': '0' })).toThrow(/gpus/);
  });

  it('keeps needs within the worker ceilings and says what it lowered', () => {
    const lowered: string[] = [];
    const bounded = boundImageNeeds(
      { resources: { memoryBytes: 8 * 1024 * MiB, cpus: 4, pidsLimit: 10 } },
      { memoryBytes: 1024 * MiB, nanoCpus: 2e9, pidsLimit: 100 },
      (need) => lowered.push(need),
    );
    expect(bounded.resources).toEqual({ memoryBytes: 1024 * MiB, cpus: 2, pidsLimit: 10 });
    expect(lowered).toEqual(['memoryBytes', 'cpus']);
  });

  it('plans needs only where the run and its create options set nothing', () => {
    const base = { containerArgs: [], environment: {}, binds: [], labels: {} };
    const needs = { resources: { memoryBytes: 64 * MiB, shmSizeBytes: 32 * MiB }, gpus: 2 as const };
    const { create, withoutGpus } = planContainer({
      ...base,
      options: {
        image: 'i',
        resources: { memoryBytes: 128 * MiB },
        createOptions: { HostConfig: { ShmSize: 16 * MiB } },
      },
      imageNeeds: needs,
    });
    expect(create.HostConfig?.Memory).toBe(128 * MiB);
    expect(create.HostConfig?.ShmSize).toBe(16 * MiB);
    expect(create.HostConfig?.DeviceRequests).toEqual([{ Driver: '', Count: 2, Capabilities: [['gpu']] }]);
    // Asked for by the image only: the engine may run it without GPUs, as girder_worker does.
    expect(withoutGpus?.HostConfig?.DeviceRequests).toBeUndefined();
  });

  it('a container of a needy image gets what the image asks for, unless the run says otherwise', async () => {
    const first = await dockerRun({
      image: NEEDY,
      pullImage: false,
      containerArgs: ['true'],
      removeContainer: false,
    });
    const second = await dockerRun({
      image: NEEDY,
      pullImage: false,
      containerArgs: ['true'],
      removeContainer: false,
      resources: { memoryBytes: 128 * MiB },
    });
    try {
      const a = (await docker.getContainer(first.containerId).inspect()).HostConfig;
      expect([a.Memory, a.ShmSize, a.PidsLimit, a.NanoCpus]).toEqual([64 * MiB, 32 * MiB, 100, 0.5e9]);
      const b = (await docker.getContainer(second.containerId).inspect()).HostConfig;
      expect([b.Memory, b.ShmSize]).toEqual([128 * MiB, 32 * MiB]);
    } finally {
      for (const { containerId } of [first, second])
        await docker.getContainer(containerId).remove({ force: true });
    }
  });

  it('an image with an unreadable need fails before any container starts', async () => {
    const error = await dockerRun({ image: WRONG, pullImage: false, containerArgs: ['true'] }).catch(
      (e: unknown) => e,
    );
    expect(isSpecValidationError(error)).toBe(true);
    expect((error as Error).message).toContain(`image '${WRONG}' label org.girder-worker.needs.memory`);
  });
});
