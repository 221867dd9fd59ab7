// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import {
  GirderFileIdToVolume,
  GirderUploadVolumePathToItem,
  girderKinds,
  JobStatus,
} from '@girder-worker/girder';
import { pipesKinds } from '@girder-worker/pipes';
import { createRegistry, revive, serialize, VolumePath } from '@girder-worker/transforms';

const id = '0123456789abcdef01234567';
const out = new VolumePath('out.txt');
const json = JSON.parse(
  JSON.stringify(serialize([new GirderFileIdToVolume(id), new GirderUploadVolumePathToItem(out, id)])),
);
const [download, upload] = revive(json, createRegistry(pipesKinds, girderKinds));
assert.equal(download.fileId, id);
assert.equal(upload.volumePath.filename, 'out.txt');
assert.equal(JobStatus.CANCELING, 824);
