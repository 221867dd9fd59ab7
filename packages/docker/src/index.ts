export { environmentDefaults } from './environment-defaults.ts';
export {
  DockerEngineError,
  DockerRunError,
  ImageNotFoundError,
  isDockerEngineError,
  isDockerRunError,
  isImageNotFoundError,
  isPolicyViolationError,
  isRunTimeoutError,
  PolicyViolationError,
  RunTimeoutError,
} from './errors.ts';
export type { DockerRunEvent } from './events.ts';
export {
  boundImageNeeds,
  IMAGE_NEEDS_PREFIX,
  type ImageNeeds,
  parseByteSize,
  type ResourceCeilings,
  readImageNeeds,
} from './image-needs.ts';
export { LABELS } from './labels.ts';
export { type RunSpecOptions, validateRunSpec } from './normalize.ts';
export { RUN_SPEC_FIELDS, type RunSpecField } from './option-table.ts';
export type { DockerRunOptions, RunDefaults } from './options.ts';
export { type ContainerPlan, type ContainerPlanInput, GPU_IMAGE_LABEL, planContainer } from './plan.ts';
export { DEFAULT_FORBIDDEN_OPTIONS, parseRunPolicy, type RunPolicy } from './policy.ts';
export {
  type EnsureImageOptions,
  ensureImage,
  type PullImageOption,
  type PullPolicy,
  type PullSummary,
  parsePullPolicy,
} from './pull.ts';
export { type ReapOptions, reapOrphans } from './reap.ts';
export {
  dockerConfigCredentials,
  parseRegistryAuth,
  type RegistryAuth,
  type RegistryCredentials,
  registryOf,
} from './registry/credentials.ts';
export type { RunResources, UlimitValue } from './resources.ts';
export { type DockerRunResult, dockerFromEnv, dockerRun } from './run.ts';
