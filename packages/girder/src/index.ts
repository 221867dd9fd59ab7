export {
  GirderFileIdToVolume,
  type GirderFileIdToVolumeOptions,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
} from './download-transforms.ts';
export { isJobCanceledError, isJobCancelledError, JobCanceledError, JobCancelledError } from './errors.ts';
export { JobManager, type JobManagerOptions, type RunOutcome } from './job-manager.ts';
export { isFinalJobStatus, JobStatus, type JobStatusValue } from './job-status.ts';
export { girderKinds } from './kinds.ts';
export {
  GirderItemMetadata,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
  type JobArtifactOptions,
} from './result-hooks.ts';
export {
  GirderFileIdToStream,
  GirderUploadStream,
  type GirderUploadStreamOptions,
} from './stream-transforms.ts';
export type { UploadHookOptions } from './volume-path-upload.ts';
