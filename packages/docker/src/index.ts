export { DockerDemuxer } from './demux.ts';
export {
  DockerEngineError,
  DockerRunError,
  ImageNotFoundError,
  isDockerEngineError,
  isDockerRunError,
  isImageNotFoundError,
} from './errors.ts';
export type { DockerRunEvent } from './events.ts';
export { defaultWorkerId, LABELS, PACKAGE_VERSION, runLabels } from './labels.ts';
export {
  type DockerRunOptions,
  environmentDefaults,
  type NormalizedDockerRunOptions,
  normalizeOptions,
  parseVolumeShorthand,
} from './options.ts';
export { ensureImage, imageExists, pullImage } from './pull.ts';
export { type ReapOptions, reapOrphans } from './reap.ts';
export { type DockerRunResult, dockerFromEnv, dockerRun } from './run.ts';
