import { assertNoLeaks, LOCAL_IMAGE, listLabelledContainers, testDocker } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun } from '../src/index.ts';
import { LABELS } from '../src/labels.ts';

afterEach(() => assertNoLeaks());

describe('the container', () => {
  it('labels the container with run and worker', async () => {
    let labels: Record<string, string> = {};
    await dockerRun({
      ...LOCAL_IMAGE,
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
    const { containerId } = await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['true'],
      removeContainer: false,
    });
    expect((await listLabelledContainers()).map((c) => c.Id)).toContain(containerId);
    await testDocker().getContainer(containerId).remove({ force: true });
  });
});
