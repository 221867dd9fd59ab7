// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import * as pkg from '@girder-worker/pipes';

assert.equal(pkg.packageName, '@girder-worker/pipes');
