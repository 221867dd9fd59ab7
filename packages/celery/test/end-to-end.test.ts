import { JobStatus } from '@girder-worker/girder';
import { type GirderTestServer, startGirderTestServer } from '@girder-worker/girder-test-server';
import { assertNoLeaks, listLabelledContainers, TEST_IMAGE, waitFor } from '@girder-worker/test-helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CeleryWorker,
  createCeleryWorker,
  createDockerRunHandler,
  type JobInfoSpec,
  publishDockerRun,
} from '../src/index.ts';
import { brokerUrls, redisUrl } from './helpers.ts';

// Messages published the way girder_worker's publisher does, taken off a real broker by the worker,
// run by the docker_run handler on the engine, reported to the Girder test server.
let girder: GirderTestServer;
const workers: CeleryWorker[] = [];

beforeEach(async () => {
  girder = await startGirderTestServer();
});
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.close({ cancel: true });
  await girder.close();
  await assertNoLeaks();
});

const brokers = [
  { name: 'Redis', url: () => redisUrl(11) },
  { name: 'RabbitMQ', url: () => brokerUrls().amqp },
];

describe.each(brokers)('publishDockerRun → worker → handler on $name', ({ url }) => {
  async function start(queue: string): Promise<CeleryWorker> {
    const worker = await createCeleryWorker({
      broker: url(),
      queues: [queue],
      backend: 'disabled',
      handler: createDockerRunHandler({
        stopGraceMs: 500,
        cancelPollIntervalMs: 100,
        logFlushIntervalMs: 20,
      }),
    });
    workers.push(worker);
    return worker;
  }

  function newJob(): { id: string; spec: JobInfoSpec } {
    const { job } = girder.createJob({ title: 'docker_run', type: 'celery' });
    return { id: job._id, spec: job.jobInfoSpec as JobInfoSpec };
  }

  it('runs the task and the Girder job ends SUCCESS with the output as its log', async () => {
    const queue = `e2e-ok-${process.pid}-${Date.now().toString(36)}`;
    await start(queue);
    const { id, spec } = newJob();
    await publishDockerRun(url(), {
      queue,
      image: TEST_IMAGE,
      pullImage: false,
      containerArgs: ['echo', 'hi from celery'],
      jobInfoSpec: spec,
    });
    await waitFor(() => girder.getJob(id).status === JobStatus.SUCCESS, 'the job to succeed');
    expect(girder.getJob(id).log.join('')).toContain('hi from celery\n');
  });

  it('revoke(terminate) stops the running container and the job ends CANCELED', async () => {
    const queue = `e2e-revoke-${process.pid}-${Date.now().toString(36)}`;
    const worker = await start(queue);
    const { id, spec } = newJob();
    const taskId = await publishDockerRun(url(), {
      queue,
      image: TEST_IMAGE,
      pullImage: false,
      containerArgs: ['sleep', '3600'],
      jobInfoSpec: spec,
    });
    await waitFor(() => girder.getJob(id).status === JobStatus.RUNNING, 'the job to run');
    await waitFor(
      async () => (await listLabelledContainers(process.env.GW_WORKER_ID)).some((c) => c.State === 'running'),
      'its container',
    );
    expect(worker.revoke([taskId], { terminate: true })).toEqual([taskId]);
    await waitFor(() => girder.getJob(id).status === JobStatus.CANCELED, 'the job to be canceled');
    await waitFor(
      async () => (await listLabelledContainers(process.env.GW_WORKER_ID)).length === 0,
      'the container to be removed',
    );
  });
});
