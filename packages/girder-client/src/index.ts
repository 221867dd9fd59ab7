export type {
  GirderClientOptions,
  NormalizedRetry,
  RequestOptions,
  RetryPolicy,
  SignalOptions,
} from './client.ts';
export {
  GirderClientError,
  type GirderErrorBody,
  GirderHttpError,
  GirderNetworkError,
  IncorrectUploadLengthError,
  isGirderHttpError,
  isGirderNetworkError,
  isIncorrectUploadLengthError,
  isUnsafeNameError,
  UnsafeNameError,
} from './errors.ts';
export {
  type DownloadOptions,
  GirderClient,
  type JobArtifact,
  type UploadSource,
  type UploadTarget,
} from './girder-client.ts';
export { type Logger, silentLogger } from './logger.ts';
export type {
  AuthToken,
  Folder,
  GirderDocument,
  GirderFile,
  Item,
  Job,
  JobProgress,
  Upload,
  User,
} from './models.ts';
export { safeFileName } from './names.ts';
export { redactUrl } from './redact.ts';
