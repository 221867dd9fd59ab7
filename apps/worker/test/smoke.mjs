// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as pkg from 'girder-worker';

assert.equal(pkg.packageName, 'girder-worker');
assert.match(execFileSync('npx', ['--no-install', 'girder-worker'], { encoding: 'utf8' }), /girder-worker/);
