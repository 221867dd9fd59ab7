import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Connect, ContainerStdOut, NamedInputPipe, NamedOutputPipe } from '@girder-worker/pipes';
import {
  assertNoLeaks,
  hashFile,
  listLabelledContainers,
  makeTempDir,
  TEST_IMAGE,
  testDocker,
  writeRandomFile,
} from '@girder-worker/test-helpers';
import {
  BindMountVolume,
  isSpecValidationError,
  TemporaryVolume,
  VolumePath,
} from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun, isDockerRunError, isImageNotFoundError, LABELS } from '../src/index.ts';
import { collectingReporter, HookOf, SinkOf, SourceOf } from './helpers.ts';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const base = { image: TEST_IMAGE, pullImage: false } as const;

afterEach(() => assertNoLeaks());

describe('dockerRun', () => {
  it('runs echo and sends stdout to the reporter, the run volume as an argument', async () => {
    const reporter = collectingReporter();
    const result = await dockerRun({
      ...base,
      containerArgs: ['echo', 'hello', TemporaryVolume.default],
      reporter,
    });
    expect(result.exitCode).toBe(0);
    expect(result.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(reporter.stdout()).toEqual([expect.stringMatching(/^hello \/mnt\/girder_worker\/[0-9a-f]{32}$/)]);
  });

  it('mounts a read-only fixture folder and reads a file from it', async () => {
    const reporter = collectingReporter();
    const fixture = new BindMountVolume(join(fixtures, 'readonly'), '/mnt/fixture', 'ro');
    await dockerRun({
      ...base,
      volumes: [fixture],
      containerArgs: [
        'sh',
        '-c',
        'cat "$0"; touch /mnt/fixture/x 2>/dev/null || echo read-only',
        new VolumePath('data.txt', fixture),
      ],
      reporter,
    });
    expect(reporter.stdout()).toEqual(['fixture contents', 'read-only']);
  });

  it('accepts docker-style volumes', async () => {
    const reporter = collectingReporter();
    await dockerRun({
      ...base,
      volumes: { [join(fixtures, 'readonly')]: { bind: '/mnt/docker', mode: 'ro' } },
      containerArgs: ['cat', '/mnt/docker/data.txt'],
      reporter,
    });
    expect(reporter.stdout()).toEqual(['fixture contents']);
  });

  it('keeps stdout and stderr apart', async () => {
    const reporter = collectingReporter();
    await dockerRun({
      ...base,
      containerArgs: ['sh', '-c', 'echo a; echo b >&2; echo c; echo d >&2'],
      reporter,
    });
    expect(reporter.stdout()).toEqual(['a', 'c']);
    expect(reporter.stderr()).toEqual(['b', 'd']);
  });

  it('writes a VolumePath in the container that a result hook reads on the host', async () => {
    const out = new VolumePath('deep/out.txt');
    const result = await dockerRun({
      ...base,
      containerArgs: ['sh', '-c', 'mkdir -p "$(dirname "$0")" && echo from-container > "$0"', out],
      resultHooks: [new HookOf((ctx) => readFile(out.hostPath(ctx), 'utf8')), 'plain'],
    });
    expect(result.results).toEqual(['from-container\n', 'plain']);
  });

  it('makes a temporary volume under the given root and removes it', async () => {
    const root = await makeTempDir();
    const scratch = new TemporaryVolume({ hostDir: root });
    let seen = '';
    await dockerRun({
      ...base,
      temporaryVolumeRoot: root,
      containerArgs: ['sh', '-c', 'echo x > "$0/f"', scratch],
      resultHooks: [
        new HookOf(async () => {
          seen = scratch.hostPath;
          return (await readdir(root)).length;
        }),
      ],
    });
    expect(seen.startsWith(`${root}/`)).toBe(true);
    expect(await readdir(root)).toEqual([]);
  });

  it('rejects with DockerRunError carrying the exit code and the stderr tail', async () => {
    const error = await dockerRun({
      ...base,
      containerArgs: ['sh', '-c', 'seq 1 2000 >&2; echo "the real reason" >&2; exit 7'],
      reporter: collectingReporter(),
    }).catch((e: unknown) => e);
    expect(isDockerRunError(error)).toBe(true);
    const e = error as { exitCode: number; stderrTail: string; image: string };
    expect(e.exitCode).toBe(7);
    expect(e.image).toBe(TEST_IMAGE);
    expect(e.stderrTail.endsWith('2000\nthe real reason\n')).toBe(true);
    expect(e.stderrTail.length).toBeLessThanOrEqual(8192);
  });

  it('runs exception hooks when the container fails', async () => {
    const seen: string[] = [];
    const hook = new (class extends HookOf<void> {
      override exception(_ctx: unknown, error: unknown): void {
        seen.push((error as Error).name);
      }
    })(() => {
      seen.push('transform');
    });
    await dockerRun({
      ...base,
      containerArgs: ['false'],
      resultHooks: [hook],
      reporter: collectingReporter(),
    }).catch(() => {});
    expect(seen).toEqual(['DockerRunError']);
  });

  it('labels the container with run and worker', async () => {
    let labels: Record<string, string> = {};
    await dockerRun({
      ...base,
      runId: 'run-labels-test',
      containerArgs: ['true'],
      onEvent: async (event) => {
        if (event.type === 'created')
          labels = (await testDocker().getContainer(event.containerId).inspect()).Config.Labels;
      },
      removeContainer: true,
    });
    expect(labels[LABELS.run]).toBe('run-labels-test');
    expect(labels[LABELS.worker]).toBe(process.env.GW_WORKER_ID);
    expect(labels[LABELS.pid]).toBe(String(process.pid));
  });

  it('keeps the container when removeContainer is false', async () => {
    const { containerId } = await dockerRun({ ...base, containerArgs: ['true'], removeContainer: false });
    expect((await listLabelledContainers()).map((c) => c.Id)).toContain(containerId);
    await testDocker().getContainer(containerId).remove({ force: true });
  });
});

describe('validation', () => {
  it.each([
    [{ image: '' }, 'image: expected an image name such as "alpine:3", got ""'],
    [{ image: TEST_IMAGE, pullImage: 'yes' }, 'pullImage: expected true or false, got "yes"'],
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

  it('fails clearly on a missing image', async () => {
    const notPulled = await dockerRun({ image: 'girder-worker-test/absent:1', pullImage: false }).catch(
      (e: unknown) => e,
    );
    expect(isImageNotFoundError(notPulled)).toBe(true);
    expect((notPulled as Error).message).toBe(
      "image 'girder-worker-test/absent:1' is not present and pullImage is false: build or pull it first",
    );
    const pulled = await dockerRun({ image: 'girder-worker-test/absent:1', pullImage: true }).catch(
      (e: unknown) => e,
    );
    expect(isImageNotFoundError(pulled)).toBe(true);
    expect((pulled as Error).message).toMatch(/^image 'girder-worker-test\/absent:1' could not be pulled: /);
  });
});

describe('streams', () => {
  it('streams host data into a named input pipe, byte-exact (1 GiB)', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'input.bin');
    const expected = await writeRandomFile(file, 1024 * 1024 * 1024);
    const { createReadStream } = await import('node:fs');
    const reporter = collectingReporter();
    await dockerRun({
      ...base,
      containerArgs: [
        'sh',
        '-c',
        'sha256sum < "$0"',
        new Connect(new SourceOf(() => createReadStream(file)), new NamedInputPipe('input')),
      ],
      reporter,
    });
    expect(reporter.stdout()).toEqual([`${expected}  -`]);
    expect(await hashFile(file)).toBe(expected);
  });

  it('streams a named output pipe to a host sink', async () => {
    const hash = createHash('sha256');
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb();
      },
    });
    await dockerRun({
      ...base,
      containerArgs: [
        'sh',
        '-c',
        'seq 1 100000 > "$0"',
        new Connect(new NamedOutputPipe('out'), new SinkOf(() => sink)),
      ],
    });
    const reference = Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join('');
    expect(bytes).toBe(reference.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(reference).digest('hex'));
  });

  it('redirects container stdout with Connect(ContainerStdOut, …), byte-exact (256 MiB)', async () => {
    const hash = createHash('sha256');
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb();
      },
    });
    const reporter = collectingReporter();
    await dockerRun({
      ...base,
      containerArgs: ['sh', '-c', 'dd if=/dev/zero bs=1M count=256 2>/dev/null; echo done >&2'],
      streamConnectors: [new Connect(new ContainerStdOut(), new SinkOf(() => sink))],
      reporter,
    });
    expect(bytes).toBe(256 * 1024 * 1024);
    expect(hash.digest('hex')).toBe(
      createHash('sha256')
        .update(Buffer.alloc(256 * 1024 * 1024))
        .digest('hex'),
    );
    expect(reporter.stdout()).toEqual([]);
    expect(reporter.stderr()).toEqual(['done']);
  });

  it('ends the run when the container never opens its pipe', async () => {
    // A writer that kept waiting would hold the run until the test times out.
    const result = await dockerRun({
      ...base,
      containerArgs: [
        'sh',
        '-c',
        'echo ignoring "$0"',
        new Connect(new SourceOf(() => Readable.from([Buffer.alloc(1024)])), new NamedInputPipe('unused')),
      ],
    });
    expect(result.exitCode).toBe(0);
  });

  it('loses no early output: 100 one-line containers each deliver their line', async () => {
    const runs = Array.from({ length: 100 }, (_, i) => i);
    const seen: string[] = [];
    for (let i = 0; i < runs.length; i += 4) {
      await Promise.all(
        runs.slice(i, i + 4).map(async (n) => {
          const reporter = collectingReporter();
          await dockerRun({ ...base, containerArgs: ['echo', `line-${n}`], reporter });
          seen.push(...reporter.stdout());
        }),
      );
    }
    expect(seen.sort()).toEqual(runs.map((n) => `line-${n}`).sort());
  });
});

describe('cancel', () => {
  it('stops a running container and leaves nothing behind', async () => {
    const controller = new AbortController();
    // Longer than the test timeout: only a stopped container lets the run end in time.
    const run = dockerRun({
      ...base,
      containerArgs: ['sleep', '3600'],
      signal: controller.signal,
      stopGraceMs: 500,
      onEvent: (event) => {
        if (event.type === 'started') setTimeout(() => controller.abort(new Error('cancelled by test')), 200);
      },
    });
    await expect(run).rejects.toThrow('cancelled by test');
  });

  it('cancels mid-stream: the pipe, the connector and the container all end', async () => {
    const controller = new AbortController();
    const endless = new PassThrough();
    const timer = setInterval(() => endless.write(Buffer.alloc(64 * 1024)), 5);
    try {
      const run = dockerRun({
        ...base,
        containerArgs: [
          'sh',
          '-c',
          'cat "$0" > /dev/null',
          new Connect(new SourceOf(() => endless), new NamedInputPipe('endless')),
        ],
        signal: controller.signal,
        stopGraceMs: 500,
        onEvent: (event) => {
          if (event.type === 'started') setTimeout(() => controller.abort(new Error('stop streaming')), 500);
        },
      });
      await expect(run).rejects.toThrow('stop streaming');
    } finally {
      clearInterval(timer);
      endless.destroy();
    }
  });

  it('does nothing when the signal is already aborted', async () => {
    const error = await dockerRun({
      ...base,
      containerArgs: ['true'],
      signal: AbortSignal.abort(new Error('early')),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('early');
  });
});
