// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { loadRunSpec, resolveSpecPaths, specFromFlags, submitRun } from 'girder-worker';

const spec = loadRunSpec(
  specFromFlags({ image: 'girder-worker-test/busybox:latest', pull: false, input: ['data=/tmp/in.txt'] }, [
    'cat',
    '{data}',
  ]),
);
assert.equal(spec.options.image, 'girder-worker-test/busybox:latest');
assert.equal(spec.options.containerArgs[1].kind, 'Connect');
const resolved = resolveSpecPaths(
  { image: 'x', containerArgs: [{ $transform: 'HostFileSource', path: 'in.txt' }, 'in.txt'] },
  '/data',
);
assert.deepEqual(resolved.containerArgs, [{ $transform: 'HostFileSource', path: '/data/in.txt' }, 'in.txt']);
assert.throws(() => loadRunSpec({ image: 'x', nope: 1 }), /nope: expected a known field/);
// A bad spec is refused before any Redis connection is made.
await assert.rejects(
  submitRun({
    redisUrl: 'redis://127.0.0.1:1',
    spec: { image: 'x', containerArgs: [{ $transform: 'Nope' }] },
  }),
  (error) => error.name === 'SpecValidationError' && /containerArgs\[0\]/.test(error.message),
);
assert.match(
  execFileSync('npx', ['--no-install', 'girder-worker', '--help'], { encoding: 'utf8' }),
  /Usage: girder-worker/,
);
