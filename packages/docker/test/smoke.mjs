// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import { dockerRun, isDockerRunError, parseRunPolicy, planContainer } from '@girder-worker/docker';

await assert.rejects(dockerRun({ image: '' }), /image: expected an image name/);
const image = process.env.GW_TEST_IMAGE ?? 'girder-worker-test/busybox:latest';
const lines = [];
const result = await dockerRun({
  image,
  pullImage: false,
  containerArgs: ['echo', 'consumer check'],
  reporter: { log: (line) => lines.push(line), progress() {} },
});
assert.equal(result.exitCode, 0);
assert.deepEqual(lines, ['consumer check']);
await assert.rejects(dockerRun({ image, pullImage: false, containerArgs: ['false'] }), isDockerRunError);
const plan = planContainer({
  options: { image },
  containerArgs: ['true'],
  environment: {},
  binds: [],
  labels: {},
});
assert.deepEqual(plan.create.Cmd, ['true']);
assert.throws(() => parseRunPolicy({}), /policy\.images/);
