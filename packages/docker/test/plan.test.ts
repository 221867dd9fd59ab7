import { isSpecValidationError } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import { planContainer } from '../src/index.ts';
import { GPU_IMAGE_LABEL } from '../src/plan.ts';

// planContainer is pure: these tests need no engine.
const input = {
  options: { image: 'girder-worker-test/busybox:latest' },
  containerArgs: ['echo', 1, true],
  environment: { A: 'x', N: 2 },
  binds: ['/host:/mnt/h:ro'],
  labels: { 'org.girder-worker.run': 'r1' },
};

describe('planContainer', () => {
  it('builds the create body: command, environment, binds, labels and what dockerRun manages', () => {
    const { create, withoutGpus } = planContainer(input);
    expect(create).toEqual({
      Image: 'girder-worker-test/busybox:latest',
      Cmd: ['echo', '1', 'true'],
      Env: ['A=x', 'N=2'],
      Labels: { 'org.girder-worker.run': 'r1' },
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: false,
      HostConfig: { Binds: ['/host:/mnt/h:ro'] },
    });
    expect(withoutGpus).toBeUndefined();
  });

  it('puts the caller’s create options beneath its own, run labels over caller labels', () => {
    const { create } = planContainer({
      ...input,
      options: {
        image: 'img',
        entrypoint: ['sh', '-c'],
        workingDir: '/w',
        user: '1000:1000',
        createOptions: {
          Env: ['FROM=options'],
          Labels: { mine: 'yes', 'org.girder-worker.run': 'forged' },
          HostConfig: { ShmSize: 1024, NetworkMode: 'none' },
          StopSignal: 'SIGINT',
        },
      },
      network: 'ignored-because-set',
    });
    expect(create.Entrypoint).toEqual(['sh', '-c']);
    expect(create.WorkingDir).toBe('/w');
    expect(create.User).toBe('1000:1000');
    expect(create.StopSignal).toBe('SIGINT');
    expect(create.Env).toEqual(['FROM=options', 'A=x', 'N=2']);
    expect(create.Labels).toEqual({ mine: 'yes', 'org.girder-worker.run': 'r1' });
    expect(create.HostConfig).toEqual({ ShmSize: 1024, NetworkMode: 'none', Binds: ['/host:/mnt/h:ro'] });
  });

  it('joins the worker’s own network only when none is asked for', () => {
    expect(planContainer({ ...input, network: 'worker-net' }).create.HostConfig?.NetworkMode).toBe(
      'worker-net',
    );
  });

  it.each([
    [true, -1],
    [3, 3],
  ])('asks for GPUs with gpus: %s (Count %i), with no fallback', (gpus, count) => {
    const plan = planContainer({ ...input, options: { image: 'img', gpus } });
    expect(plan.create.HostConfig?.DeviceRequests).toEqual([
      { Driver: '', Count: count, Capabilities: [['gpu']] },
    ]);
    expect(plan.withoutGpus).toBeUndefined();
  });

  it('asks for GPUs when the image’s label does, with a body without them to fall back to', () => {
    const plan = planContainer({ ...input, imageLabels: { [GPU_IMAGE_LABEL]: 'nvidia_driver' } });
    expect(plan.create.HostConfig?.DeviceRequests).toHaveLength(1);
    expect(plan.withoutGpus?.HostConfig).toEqual({ Binds: ['/host:/mnt/h:ro'] });
  });

  it('refuses an argument or variable that is not a string after transforms, naming it', () => {
    const bad = (): unknown => planContainer({ ...input, containerArgs: ['ok', { a: 1 }] });
    expect(bad).toThrow('containerArgs[1]: expected a string (or a transform giving one), got an object');
    try {
      planContainer({ ...input, environment: { X: null } });
    } catch (error) {
      expect(isSpecValidationError(error)).toBe(true);
      expect((error as Error).message).toBe(
        'environment.X: expected a string (or a transform giving one), got null',
      );
      return;
    }
    expect.unreachable('environment.X was not refused');
  });
});
