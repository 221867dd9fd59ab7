// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { loadRunSpec, specFromFlags } from 'girder-worker';

const spec = loadRunSpec(
  specFromFlags({ image: 'girder-worker-test/busybox:latest', pull: false, input: ['data=/tmp/in.txt'] }, [
    'cat',
    '{data}',
  ]),
);
assert.equal(spec.options.image, 'girder-worker-test/busybox:latest');
assert.equal(spec.options.containerArgs[1].kind, 'Connect');
assert.throws(() => loadRunSpec({ image: 'x', nope: 1 }), /nope: expected a known field/);
assert.match(
  execFileSync('npx', ['--no-install', 'girder-worker', '--help'], { encoding: 'utf8' }),
  /Usage: girder-worker/,
);
