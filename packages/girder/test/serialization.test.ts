import { Connect, NamedInputPipe, NamedOutputPipe, pipesKinds } from '@girder-worker/pipes';
import { createRegistry, revive, serialize, VolumePath } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
  GirderItemMetadata,
  GirderUploadStream,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
  girderKinds,
} from '../src/index.ts';
import { useGirder } from './support.ts';

const girder = useGirder();

describe('serialization', () => {
  it('round-trips every Girder transform with ids only, never a token', () => {
    const { server } = girder;
    const out = new VolumePath('o.txt');
    const id = '0123456789abcdef01234567';
    const spec = [
      new GirderFileIdToVolume(id, { filename: 'in/file.bin' }),
      new GirderItemIdToVolume(id),
      new GirderFolderIdToVolume(id, { folderName: 'data' }),
      new Connect(new GirderFileIdToStream(id), new NamedInputPipe('p')),
      new Connect(
        new NamedOutputPipe('q'),
        new GirderUploadStream({ parentType: 'item', parentId: id, name: 'x', size: 3 }),
      ),
      new GirderUploadVolumePathToItem(out, id, { deleteFile: true }),
      new GirderUploadVolumePathToFolder(out, id),
      new GirderUploadVolumePathJobArtifact(out, { jobId: id, uploadOnException: true }),
      new GirderItemMetadata(id, { a: 1 }),
    ];
    const json = JSON.stringify(serialize(spec));
    expect(json).not.toContain(server.admin.token);
    const registry = createRegistry(pipesKinds, girderKinds);
    const back = revive(JSON.parse(json), registry);
    expect(JSON.stringify(serialize(back))).toBe(json);
    expect(() =>
      revive({ $transform: 'GirderFileIdToVolume', fileId: 'nope' }, registry, 'containerArgs[0]'),
    ).toThrow('containerArgs[0].fileId: expected a Girder id (24 hex digits), got "nope"');
  });
});
