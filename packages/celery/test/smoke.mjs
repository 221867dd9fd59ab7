// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import { DOCKER_RUN_TASK, decodeJsonPickleText, PyTuple } from '@girder-worker/celery';

assert.equal(DOCKER_RUN_TASK, 'girder_worker.docker.tasks.docker_run');
assert.ok(decodeJsonPickleText('{"py/tuple": [[1, {"py/id": 0}]]}') instanceof PyTuple);
