// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import {
  BindMountVolume,
  createRegistry,
  isSpecValidationError,
  revive,
  serialize,
  VolumePath,
} from '@girder-worker/transforms';

const volume = new BindMountVolume('/srv/data', '/mnt/data', 'ro');
const json = JSON.parse(JSON.stringify(serialize([volume, new VolumePath('a.txt', volume)])));
const [v, p] = revive(json, createRegistry());
assert.equal(p.volume, v);
assert.equal(v.bind(), '/srv/data:/mnt/data:ro');
assert.throws(
  () => revive({ $transform: 'VolumePath', filename: '../x' }, createRegistry(), 'args'),
  (e) => isSpecValidationError(e) && e.path === 'args.filename',
);
