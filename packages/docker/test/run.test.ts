import { readFile } from 'node:fs/promises';
import { assertNoLeaks, LOCAL_IMAGE, TEST_IMAGE } from '@girder-worker/test-helpers';
import { TemporaryVolume, VolumePath } from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun, isDockerRunError } from '../src/index.ts';
import { collectingReporter, HookOf } from './helpers.ts';

afterEach(() => assertNoLeaks());

describe('dockerRun', () => {
  it('runs echo and sends stdout to the reporter, the run volume as an argument', async () => {
    const reporter = collectingReporter();
    const result = await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['echo', 'hello', TemporaryVolume.default],
      reporter,
    });
    expect(result.exitCode).toBe(0);
    expect(result.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(reporter.stdout()).toEqual([expect.stringMatching(/^hello \/mnt\/girder_worker\/[0-9a-f]{32}$/)]);
  });

  it('keeps stdout and stderr apart', async () => {
    const reporter = collectingReporter();
    await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['sh', '-c', 'echo a; echo b >&2; echo c; echo d >&2'],
      reporter,
    });
    expect(reporter.stdout()).toEqual(['a', 'c']);
    expect(reporter.stderr()).toEqual(['b', 'd']);
  });

  it('writes a VolumePath in the container that a result hook reads on the host', async () => {
    const out = new VolumePath('deep/out.txt');
    const result = await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['sh', '-c', 'mkdir -p "$(dirname "$0")" && echo from-container > "$0"', out],
      resultHooks: [new HookOf((ctx) => readFile(out.hostPath(ctx), 'utf8')), 'plain'],
    });
    expect(result.results).toEqual(['from-container\n', 'plain']);
  });

  it('rejects with DockerRunError carrying the exit code and the stderr tail', async () => {
    const error = await dockerRun({
      ...LOCAL_IMAGE,
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
      ...LOCAL_IMAGE,
      containerArgs: ['false'],
      resultHooks: [hook],
      reporter: collectingReporter(),
    }).catch(() => {});
    expect(seen).toEqual(['DockerRunError']);
  });
});
