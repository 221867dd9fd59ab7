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
export { type ImageNeeds, parseByteSize } from './image-needs.ts';
export { type RunSpecOptions, validateRunSpec } from './normalize.ts';
export { RUN_SPEC_FIELDS, type RunSpecField } from './option-table.ts';
export type { DockerRunOptions, RunDefaults } from './options.ts';
export { type ContainerPlan, type ContainerPlanInput, planContainer } from './plan.ts';
export { DEFAULT_FORBIDDEN_OPTIONS, parseRunPolicy, type RunPolicy } from './policy.ts';
export { type PullImageOption, type PullPolicy, type PullSummary, parsePullPolicy } from './pull.ts';
export { type ReapOptions, reapOrphans } from './reap.ts';
export {
  dockerConfigCredentials,
  parseRegistryAuth,
  type RegistryAuth,
  type RegistryCredentials,
} from './registry/credentials.ts';
export type { RunResources, UlimitValue } from './resources.ts';
export { type DockerRunResult, dockerFromEnv, dockerRun } from './run.ts';
