import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Connect, HostFileSource, NamedInputPipe } from '@girder-worker/pipes';
import { assertNoLeaks, makeTempDir, TEST_IMAGE, testDocker } from '@girder-worker/test-helpers';
import { BindMountVolume, isSpecValidationError, TemporaryVolume } from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_FORBIDDEN_OPTIONS,
  type DockerRunEvent,
  type DockerRunOptions,
  dockerRun,
  isPolicyViolationError,
  parseRunPolicy,
} from '../src/index.ts';
import { collectingReporter } from './helpers.ts';

afterEach(() => assertNoLeaks());

const policy = parseRunPolicy({ images: ['girder-worker-test/*'] });
const base = { image: TEST_IMAGE, pullImage: false, containerArgs: ['true'], policy } as const;

/** Runs expecting a policy refusal; proves no container was created. */
async function refused(options: Partial<DockerRunOptions>): Promise<string> {
  const events: string[] = [];
  const error = await dockerRun({
    ...base,
    ...options,
    onEvent: (event: DockerRunEvent) => events.push(event.type),
  } as DockerRunOptions).catch((e: unknown) => e);
  expect(isPolicyViolationError(error)).toBe(true);
  expect(isSpecValidationError(error)).toBe(true);
  expect((error as { retryable?: boolean }).retryable).toBe(false);
  expect(events).toEqual([]);
  return (error as Error).message;
}

describe('parseRunPolicy', () => {
  it.each([
    [null, 'policy: expected a policy object { images, hostPaths?, forbid?, … }, got null'],
    [{}, 'policy.images: expected an array, each an image glob, got undefined'],
    [{ images: ['a', ''] }, 'policy.images[1]: expected an image glob, got ""'],
    [{ images: [], hostPaths: ['data'] }, 'policy.hostPaths[0]: expected an absolute host path, got "data"'],
    [
      { images: [], hostPaths: ['/srv/../etc'] },
      'policy.hostPaths[0]: expected an absolute host path, got "/srv/../etc"',
    ],
    [{ images: [], forbid: ['Host Config'] }, 'policy.forbid[0]: expected an option path, got "Host Config"'],
    [
      { images: [], allow: ['HostConfig.Memory'] },
      'policy.allow[0]: expected a default forbidden option, got "HostConfig.Memory"',
    ],
    [{ images: [], memoryBytes: -1 }, 'policy.memoryBytes: expected a positive integer, got -1'],
    [
      { images: [], networkMode: '' },
      'policy.networkMode: expected a Docker network mode such as "none", got ""',
    ],
    [{ images: [], privileged: true }, /^policy\.privileged: expected a policy field \(images, hostPaths, /],
  ])('refuses %j naming the field', (json, message) => {
    expect(() => parseRunPolicy(json)).toThrow(message);
  });

  it('starts from the default forbidden options; forbid adds, allow lifts', () => {
    const parsed = parseRunPolicy({
      images: ['*'],
      forbid: ['HostConfig.ShmSize'],
      allow: ['HostConfig.ExtraHosts'],
    });
    expect(parsed.forbiddenOptions).toContain('HostConfig.Privileged');
    expect(parsed.forbiddenOptions).toContain('HostConfig.ShmSize');
    expect(parsed.forbiddenOptions).not.toContain('HostConfig.ExtraHosts');
    expect(parsed.networkMode).toBe('none');
    expect(parseRunPolicy(parsed)).toEqual(parsed);
    expect(DEFAULT_FORBIDDEN_OPTIONS).toContain('HostConfig.Mounts');
  });
});

describe('a run outside the policy fails as bad input before any container starts', () => {
  it('refuses an image the policy does not list', async () => {
    expect(await refused({ image: 'busybox:latest' })).toBe(
      'image: expected an image allowed by the worker policy (girder-worker-test/*), got "busybox:latest"',
    );
  });

  it.each([
    [
      { HostConfig: { Privileged: true } },
      'createOptions.HostConfig.Privileged: expected not set (forbidden by the worker policy), got true',
    ],
    [
      { HostConfig: { CapAdd: ['SYS_ADMIN'] } },
      'createOptions.HostConfig.CapAdd: expected not set (forbidden by the worker policy), got an array of 1',
    ],
    [
      { HostConfig: { PidMode: 'host' } },
      'createOptions.HostConfig.PidMode: expected not set (forbidden by the worker policy), got "host"',
    ],
    [
      { HostConfig: { Devices: [{ PathOnHost: '/dev/sda' }] } },
      'createOptions.HostConfig.Devices: expected not set (forbidden by the worker policy), got an array of 1',
    ],
    [
      { HostConfig: { Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] } },
      'createOptions.HostConfig.Mounts: expected not set (forbidden by the worker policy), got an array of 1',
    ],
    [
      { HostConfig: { MaskedPaths: [] } },
      'createOptions.HostConfig.MaskedPaths: expected not set (forbidden by the worker policy), got an array of 0',
    ],
    [
      { NetworkingConfig: { EndpointsConfig: { host: {} } } },
      'createOptions.NetworkingConfig: expected not set (forbidden by the worker policy), got an object',
    ],
    [
      { HostConfig: { NetworkMode: 'host' } },
      'createOptions.HostConfig.NetworkMode: expected "none" (enforced by the worker policy), got "host"',
    ],
    [
      { hostconfig: { privileged: true } },
      'createOptions.hostconfig: expected the Engine API\'s spelling "HostConfig" under a worker policy, got "hostconfig"',
    ],
    [
      { HostConfig: { privileged: true } },
      'createOptions.HostConfig.privileged: expected the Engine API\'s spelling "HostConfig.Privileged" under a worker policy, got "HostConfig.privileged"',
    ],
  ])('refuses create options %j', async (createOptions, message) => {
    expect(await refused({ createOptions: createOptions as never })).toBe(message);
  });

  it('refuses more than the limits it enforces', async () => {
    const limited = parseRunPolicy({ images: ['girder-worker-test/*'], memoryBytes: 64 * 1024 * 1024 });
    expect(
      await refused({ policy: limited, createOptions: { HostConfig: { Memory: 128 * 1024 * 1024 } } }),
    ).toBe(
      'createOptions.HostConfig.Memory: expected at most 67108864 (the limit set by the worker policy), got 134217728',
    );
  });

  it('refuses host paths outside the allowed roots, symlinks resolved', async () => {
    const root = await makeTempDir();
    const outside = await makeTempDir();
    await mkdir(join(root, 'data'));
    await symlink(outside, join(root, 'escape'));
    await writeFile(join(outside, 'secret.txt'), 'host secret');
    const rooted = parseRunPolicy({ images: ['girder-worker-test/*'], hostPaths: [root] });
    expect(await refused({ volumes: [new BindMountVolume('/etc', '/mnt/etc', 'ro')] })).toBe(
      'volumes[0].hostPath: expected a host path allowed by the worker policy (none: no host path), got "/etc"',
    );
    expect(
      await refused({ policy: rooted, volumes: { [join(root, 'escape')]: { bind: '/mnt/e', mode: 'ro' } } }),
    ).toBe(
      `volumes[0].hostPath: expected a host path allowed by the worker policy (under ${root}), got "${join(root, 'escape')}"`,
    );
    const source = new HostFileSource(join(root, 'escape', 'secret.txt'));
    expect(
      await refused({
        policy: rooted,
        containerArgs: ['cat', new Connect(source, new NamedInputPipe('in'))],
      }),
    ).toMatch(/^containerArgs\[1\]\.input\.path: expected a host path allowed by the worker policy/);
    expect(
      await refused({ policy: rooted, containerArgs: ['ls', new TemporaryVolume({ hostDir: outside })] }),
    ).toMatch(/^containerArgs\[1\]\.hostDir: expected a host path allowed by the worker policy/);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });
});

describe('a run within the policy', () => {
  it('runs with the enforced network and limits, and mounts allowed host paths', async () => {
    const root = await makeTempDir();
    await writeFile(join(root, 'in.txt'), 'allowed data');
    const limited = parseRunPolicy({
      images: ['girder-worker-test/*'],
      hostPaths: [root],
      memoryBytes: 256 * 1024 * 1024,
      nanoCpus: 1_000_000_000,
      pidsLimit: 64,
    });
    const reporter = collectingReporter();
    const { containerId } = await dockerRun({
      ...base,
      policy: limited,
      volumes: [new BindMountVolume(root, '/mnt/data', 'ro')],
      createOptions: { HostConfig: { Memory: 128 * 1024 * 1024 } },
      containerArgs: ['cat', '/mnt/data/in.txt'],
      reporter,
      removeContainer: false,
    });
    const container = testDocker().getContainer(containerId);
    const { HostConfig: hostConfig } = await container.inspect();
    await container.remove({ force: true });
    expect(reporter.stdout()).toEqual(['allowed data']);
    expect(hostConfig).toMatchObject({
      NetworkMode: 'none',
      Memory: 128 * 1024 * 1024,
      NanoCpus: 1_000_000_000,
      PidsLimit: 64,
    });
  });
});
