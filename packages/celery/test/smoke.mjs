// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import {
  buildDockerRunMessage,
  createBroker,
  createCeleryWorker,
  DOCKER_RUN_TASK,
  decodeJsonPickleText,
  isCeleryBrokerError,
  isInvalidBrokerUrlError,
  normalizeWorkerOptions,
  PyTuple,
} from '@girder-worker/celery';

assert.equal(DOCKER_RUN_TASK, 'girder_worker.docker.tasks.docker_run');
assert.ok(decodeJsonPickleText('{"py/tuple": [[1, {"py/id": 0}]]}') instanceof PyTuple);
const message = buildDockerRunMessage({
  image: 'girder-worker-test/busybox:latest',
  containerArgs: ['true'],
});
assert.equal(message.headers.task, DOCKER_RUN_TASK);
assert.ok(decodeJsonPickleText(message.body.toString('utf8')) instanceof PyTuple);
assert.equal(
  normalizeWorkerOptions({ broker: 'redis://127.0.0.1/0', handler: async () => ({ status: 'REVOKED' }) })
    .concurrency,
  1,
);
await assert.rejects(createBroker('http://127.0.0.1/'), (error) => {
  assert.equal(error.code, 'GW_CELERY_INVALID_BROKER_URL');
  assert.ok(isInvalidBrokerUrlError(error) && isCeleryBrokerError(error));
  return true;
});
await assert.rejects(
  createCeleryWorker({ broker: 'redis://127.0.0.1/0', handler: () => {}, concurrency: 0 }),
  {
    code: 'GW_CELERY_INVALID_WORKER_OPTIONS',
  },
);
