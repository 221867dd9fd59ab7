export {
  type CreateFileBeneathOptions,
  createFileBeneath,
  lstatBeneath,
  type OpenDirBeneathOptions,
  openDirBeneath,
  openFileBeneath,
  openParentBeneath,
  removeBeneath,
  splitRelative,
} from './beneath.ts';
export { type CreatedEntry, CreatedPaths } from './created-paths.ts';
export { describeEntry, SafeDir } from './safe-dir.ts';
export { isUnsafePathError, UnsafePathError, type UnsafePathReason } from './unsafe-path-error.ts';
export { type TreeVisitor, type VisitedFile, visitTreeBeneath } from './walk-tree.ts';
