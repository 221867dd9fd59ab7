import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_TASK } from '../src/index.ts';

describe('package surface', () => {
  it('names the docker_run task as girder_worker publishes it', () => {
    expect(DOCKER_RUN_TASK).toBe('girder_worker.docker.tasks.docker_run');
  });
});
