import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertNoLeaks,
  listLabelledContainers,
  makeTempDir,
  TEST_IMAGE,
  testDocker,
} from '@girder-worker/test-helpers';
import { BindMountVolume, TemporaryVolume, VolumePath } from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun, isDockerRunError } from '../src/index.ts';
import { LABELS } from '../src/labels.ts';
import { collectingReporter, HookOf } from './helpers.ts';

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
