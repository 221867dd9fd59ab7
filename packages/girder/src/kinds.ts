import type { TransformKind } from '@girder-worker/transforms';
import { GirderFileIdToVolume, GirderFolderIdToVolume, GirderItemIdToVolume } from './download-transforms.ts';
import {
  GirderItemMetadata,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
} from './result-hooks.ts';
import { GirderFileIdToStream, GirderUploadStream } from './stream-transforms.ts';

/** The transform kinds of this package, to register for `revive`: `createRegistry(pipesKinds, girderKinds)`. */
export const girderKinds: readonly TransformKind[] = Object.freeze([
  GirderFileIdToVolume,
  GirderItemIdToVolume,
  GirderFolderIdToVolume,
  GirderFileIdToStream,
  GirderUploadStream,
  GirderUploadVolumePathToItem,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathJobArtifact,
  GirderItemMetadata,
]);
