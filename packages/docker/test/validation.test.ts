import { fileURLToPath } from 'node:url';
import { Connect, HostFileSink, NamedInputPipe } from '@girder-worker/pipes';
import { assertNoLeaks, LOCAL_IMAGE, TEST_IMAGE } from '@girder-worker/test-helpers';
import {
  BindMountVolume,
  isSpecValidationError,
  TemporaryVolume,
  VolumePath,
} from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { type DockerRunEvent, dockerRun, isImageNotFoundError } from '../src/index.ts';

afterEach(() => assertNoLeaks());

describe('validation', () => {
  it.each([
    [{ image: '' }, 'image: expected an image name such as "alpine:3", got ""'],
    [
      { image: TEST_IMAGE, pullImage: 'yes' },
      'pullImage: expected true, false, "always", "if-not-present" or "never", got "yes"',
    ],
    [{ image: TEST_IMAGE, containerArgs: 'echo' }, 'containerArgs: expected an array, got "echo"'],
    [
      { image: TEST_IMAGE, volumes: { '/a': { bind: 'rel' } } },
      'volumes./a.bind: expected an absolute container path, got "rel"',
    ],
    [{ image: TEST_IMAGE, volumes: ['/a:/b'] }, 'volumes[0]: expected a Volume instance, got "/a:/b"'],
    [
      { image: TEST_IMAGE, createOptions: { Tty: true } },
      'createOptions.Tty: expected not set (dockerRun manages it), got true',
    ],
    [
      { image: TEST_IMAGE, environment: { 'A=B': 'x' } },
      'environment.A=B: expected a variable name without "=", got "A=B"',
    ],
    [{ image: TEST_IMAGE, workingDir: 'rel' }, 'workingDir: expected an absolute path, got "rel"'],
    [
      { image: TEST_IMAGE, pullImage: false, containerArgs: [{ a: 1 }] },
      'containerArgs[0]: expected a string (or a transform giving one), got an object',
    ],
  ])('rejects %j before any container starts', async (options, message) => {
    const error = await dockerRun(options as never).catch((e: unknown) => e);
    expect(isSpecValidationError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });

  it('fails clearly on a missing image, and on one whose registry cannot be reached', async () => {
    const notPulled = await dockerRun({ image: 'girder-worker-test/absent:1', pullImage: false }).catch(
      (e: unknown) => e,
    );
    expect(isImageNotFoundError(notPulled)).toBe(true);
    expect((notPulled as Error).message).toBe(
      "image 'girder-worker-test/absent:1' is not present and pullImage is 'never' (false): build or pull it first",
    );
    // A registry on a closed loopback port: the engine is refused at once (nothing leaves the host).
    const pulled = await dockerRun({ image: '127.0.0.1:1/absent:1', pullImage: true }).catch(
      (e: unknown) => e,
    );
    expect(isImageNotFoundError(pulled)).toBe(true);
    expect((pulled as Error).message).toMatch(
      /^image '127\.0\.0\.1:1\/absent:1' could not be pulled from 127\.0\.0\.1:1: /,
    );
  });
});

/** Runs dockerRun expecting a SpecValidationError; checks that no container was even created. */
async function refused(options: Record<string, unknown>): Promise<string> {
  const events: string[] = [];
  const error = await dockerRun({
    ...LOCAL_IMAGE,
    containerArgs: ['true'],
    ...options,
    onEvent: (event: DockerRunEvent) => events.push(event.type),
  } as never).catch((e: unknown) => e);
  expect(isSpecValidationError(error)).toBe(true);
  expect(events).toEqual([]);
  return (error as Error).message;
}

describe('unknown options', () => {
  it('refuses unknown top-level keys, naming every one', async () => {
    const message = await refused({ network_mode: 'host', remove_container: false });
    expect(message).toMatch(/^network_mode: expected a known option of dockerRun \(image, pullImage, /);
    expect(message.endsWith('got "network_mode, remove_container"')).toBe(true);
  });
});

describe('checked up front, naming the field', () => {
  it.each([
    [
      { volumes: [new BindMountVolume('/tmp/a:b', '/mnt/x')] },
      'volumes[0].hostPath: expected a host path without ":" (Docker binds cannot carry it), got "/tmp/a:b"',
    ],
    [
      { volumes: { '/tmp/a:b': { bind: '/mnt/x' } } },
      'volumes[0].hostPath: expected a host path without ":" (Docker binds cannot carry it), got "/tmp/a:b"',
    ],
    [
      { volumes: [new BindMountVolume('/tmp', '/mnt/x:y')] },
      'volumes[0].containerPath: expected a container path without ":", got "/mnt/x:y"',
    ],
    [
      { volumes: [new BindMountVolume('/tmp', '/')] },
      'volumes[0].containerPath: expected a container path other than "/", got "/"',
    ],
    [
      { volumes: { '/tmp': { bind: '//' } } },
      'volumes[0].containerPath: expected a container path other than "/", got "//"',
    ],
    [
      { containerArgs: ['cat', new VolumePath('f', new BindMountVolume('/tmp/a:b', '/mnt/x'))] },
      'containerArgs[1].volume.hostPath: expected a host path without ":" (Docker binds cannot carry it), got "/tmp/a:b"',
    ],
    [
      { containerArgs: ['ls', new TemporaryVolume({ hostDir: '/tmp/a:b' })] },
      'containerArgs[1].hostDir: expected a host path without ":", got "/tmp/a:b"',
    ],
    [{ image: 'Busybox:latest' }, 'image: expected an image name such as "alpine:3", got "Busybox:latest"'],
    [{ image: 'busy box' }, 'image: expected an image name such as "alpine:3", got "busy box"'],
    [{ image: 'busybox:' }, 'image: expected an image name such as "alpine:3", got "busybox:"'],
    [{ image: 'a//b' }, 'image: expected an image name such as "alpine:3", got "a//b"'],
    [{ image: 42 }, 'image: expected an image name such as "alpine:3", got 42'],
    [
      { createOptions: { Env: 'A=1' } },
      'createOptions.Env: expected an array of "NAME=value" strings, got "A=1"',
    ],
    [{ createOptions: { Env: 7 } }, 'createOptions.Env: expected an array of "NAME=value" strings, got 7'],
    [
      { createOptions: { Env: ['A=1', 2] } },
      'createOptions.Env: expected an array of "NAME=value" strings, got an array of 2',
    ],
    [{ createOptions: { Labels: 'x' } }, 'createOptions.Labels: expected an object of strings, got "x"'],
    [{ createOptions: { Labels: { a: 1 } } }, 'createOptions.Labels.a: expected a string, got 1'],
    [
      { createOptions: { HostConfig: 'host' } },
      'createOptions.HostConfig: expected an object of host settings, got "host"',
    ],
    [
      { createOptions: { HostConfig: { Binds: ['/a:/b'] } } },
      'createOptions.HostConfig.Binds: expected not set (use volumes), got an array of 1',
    ],
    [
      { streamConnectors: [{ $transform: 'Connect' }] },
      'streamConnectors[0]: expected a stream connector transform (Connect, ProgressPipe, …), got a Connect transform',
    ],
    [
      { streamConnectors: [new VolumePath('x')] },
      'streamConnectors[0]: expected a stream connector transform (Connect, ProgressPipe, …), got a VolumePath transform',
    ],
    [
      { defaults: { createOptions: { Tty: true } } },
      'defaults.createOptions.Tty: expected not set (dockerRun manages it), got true',
    ],
  ])('refuses %o before any container starts', async (options, message) => {
    expect(await refused(options)).toBe(message);
  });

  it('refuses a Connect with its sides swapped where it is built', () => {
    expect(() => new Connect(new NamedInputPipe('in'), new HostFileSink('/tmp/out'))).toThrow(
      'Connect input: NamedInputPipe can only be an output',
    );
  });

  it('accepts well-formed image references and ids', async () => {
    const { isImageReference } = await import('../src/image-reference.ts');
    for (const image of [
      'alpine',
      'alpine:3',
      'girder-worker-test/busybox:latest',
      '127.0.0.1:5000/team/tool:1.2',
      'localhost/tool',
      'Registry.Example.com/a_b/c__d/e--f:TAG',
      `docker.io/library/alpine@sha256:${'a'.repeat(64)}`,
      `sha256:${'b'.repeat(64)}`,
    ]) {
      expect(isImageReference(image), image).toBe(true);
    }
  });
});

describe('deployment defaults', () => {
  it('reads no environment variable itself: environmentDefaults(env) is passed in as `defaults`', async () => {
    const saved = process.env.GIRDER_WORKER_DOCKER_RUN_OPTIONS;
    process.env.GIRDER_WORKER_DOCKER_RUN_OPTIONS = 'not json';
    try {
      const result = await dockerRun({ ...LOCAL_IMAGE, containerArgs: ['true'] });
      expect(result.exitCode).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.GIRDER_WORKER_DOCKER_RUN_OPTIONS;
      else process.env.GIRDER_WORKER_DOCKER_RUN_OPTIONS = saved;
    }
    const { environmentDefaults } = await import('../src/index.ts');
    expect(() => environmentDefaults({ GIRDER_WORKER_DOCKER_RUN_OPTIONS: 'not json' })).toThrow(
      'GIRDER_WORKER_DOCKER_RUN_OPTIONS: expected JSON, got "not json"',
    );
    const defaults = environmentDefaults({
      GIRDER_WORKER_DOCKER_RUN_OPTIONS: JSON.stringify({
        Env: ['FROM_DEFAULTS=1'],
        volumes: [`${fileURLToPath(new URL('./fixtures/readonly', import.meta.url))}:/mnt/defaults:ro`],
      }),
    });
    const lines: string[] = [];
    await dockerRun({
      ...LOCAL_IMAGE,
      defaults,
      containerArgs: ['sh', '-c', 'echo "$FROM_DEFAULTS"; cat /mnt/defaults/data.txt'],
      reporter: { log: (line) => lines.push(line), progress: () => {} },
    });
    expect(lines).toEqual(['1', 'fixture contents']);
  });
});
