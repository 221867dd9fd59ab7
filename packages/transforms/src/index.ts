export {
  type CollectedVolumes,
  type CollectVolumesOptions,
  collectVolumes,
  type DockerVolumeObject,
  volumesFromObject,
} from './collect-volumes.ts';
export {
  createTransformContext,
  type TransformContext,
  type TransformContextOptions,
  type TransformPhase,
  withPhase,
} from './context.ts';
export {
  CleanupError,
  GirderWorkerError,
  hasErrorIdentity,
  isCleanupError,
  isMissingServiceError,
  isSpecValidationError,
  isTransformError,
  isVolumeConflictError,
  MissingServiceError,
  SpecValidationError,
  TransformError,
  type TransformsErrorCode,
  VolumeConflictError,
} from './errors.ts';
export { FieldReader, fieldPath } from './field-reader.ts';
export {
  cleanupTransforms,
  runExceptionHooks,
  runResultHooks,
  type TransformedArguments,
  transformArguments,
} from './lifecycle.ts';
export { type Logger, silentLogger } from './logger.ts';
export { joinInside, relativePathProblem } from './paths.ts';
export { redactUrl } from './redact-url.ts';
export { coreKinds, createRegistry, TransformRegistry } from './registry.ts';
export { type Progress, type Reporter, silentReporter } from './reporter.ts';
export {
  type CreatedEntry,
  CreatedPaths,
  type CreateFileBeneathOptions,
  createFileBeneath,
  describeEntry,
  isUnsafePathError,
  lstatBeneath,
  type OpenDirBeneathOptions,
  openDirBeneath,
  openFileBeneath,
  openParentBeneath,
  removeBeneath,
  SafeDir,
  splitRelative,
  type TreeVisitor,
  UnsafePathError,
  type UnsafePathReason,
  type VisitedFile,
  visitTreeBeneath,
} from './safe-fs/index.ts';
export {
  MIN_SECRET_LENGTH,
  REDACTED,
  redactingLogger,
  redactSecrets,
  redactValue,
  SecretRegistry,
} from './secrets.ts';
export { MAX_SPEC_DEPTH, type ReviveOptions, revive, serialize } from './serialize.ts';
export { type ServiceMap, Services } from './services.ts';
export { removeOrphanedTemporaryDirectory, TEMPORARY_MARKER_SUFFIX } from './temporary-marker.ts';
export {
  isTransform,
  ResultTransform,
  type RunResultInfo,
  Transform,
  type TransformKind,
} from './transform.ts';
export { VolumePath } from './volume-path.ts';
export {
  BindMountVolume,
  BindMountVolume as Volume,
  resolveVolume,
  TemporaryVolume,
  type TemporaryVolumeOptions,
  type VolumeMode,
} from './volumes.ts';
export { findTransforms, isPlainObject, walk } from './walk.ts';
