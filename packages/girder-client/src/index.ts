export {
  createGirderClient,
  GirderClient,
  type GirderClientConstructor,
} from './create-girder-client.ts';
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
export type { Authentication, LoginCredentials } from './http/authentication.ts';
export type { RequestBody, Requester, RequestOptions, SendOptions, SignalOptions } from './http/requester.ts';
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
export type { GirderClientOptions, GirderRequestEvent, NormalizedRetry, RetryPolicy } from './options.ts';
export { redactUrl } from './redact.ts';
export type { Files } from './resources/files.ts';
export type { CreateFolderOptions, FolderParentType, FolderQuery, Folders } from './resources/folders.ts';
export type { CreateItemOptions, ItemQuery, Items } from './resources/items.ts';
export type { JobArtifact, Jobs, JobUpdate } from './resources/jobs.ts';
export type { ListOptions } from './resources/paging.ts';
export type { Users } from './resources/users.ts';
export type { DownloadOptions, FileDownloads } from './transfers/download/file-downloads.ts';
export type { TreeDownloads } from './transfers/download/tree-downloads.ts';
export type { UploadSource } from './transfers/upload/chunk-sources.ts';
export type { UploadFile, UploadTarget } from './transfers/upload/chunked-upload.ts';
export type { PathUploadOptions, TreeUploads } from './transfers/upload/tree-uploads.ts';
