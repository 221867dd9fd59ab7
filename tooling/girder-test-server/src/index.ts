export type { GirderTestServerErrorCode } from './errors.ts';
export { GirderTestServerError, isGirderTestServerError } from './errors.ts';
export type { CutFault, DelayFault, FailFault, FaultInjector, FaultMatch } from './faults.ts';
export { JobStatus } from './job-status.ts';
export type {
  CollectionDoc,
  FileDoc,
  FolderDoc,
  GirderUserDoc,
  ItemDoc,
  JobDoc,
  JobInfoSpec,
  JobProgress,
  RequestRecord,
  UploadDoc,
} from './models.ts';
export { AccessType } from './models.ts';
export { isObjectId } from './object-id.ts';
export { type GirderTestServerProcess, startGirderTestServerProcess } from './process.ts';
export type {
  GirderSeed,
  SeedCollection,
  SeedFile,
  SeedFolder,
  SeedItem,
  SeedResult,
  SeedUser,
} from './seed.ts';
export type { AdminCredentials, CreatedUser, GirderTestServer, GirderTestServerOptions } from './server.ts';
export { startGirderTestServer } from './server.ts';
