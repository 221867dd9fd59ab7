import { type Authentication, createAuthentication } from './http/authentication.ts';
import { Credentials } from './http/credentials.ts';
import { createErrorMapping } from './http/error-mapping.ts';
import { createRequester, type Requester, type SignalOptions } from './http/requester.ts';
import type { Logger } from './logger.ts';
import type { Folder, GirderFile, Item, Job, User } from './models.ts';
import {
  type ClientSettings,
  type GirderClientOptions,
  type NormalizedRetry,
  normalizeOptions,
} from './options.ts';
import { createRedactor } from './redact.ts';
import { createFiles, type Files } from './resources/files.ts';
import {
  type CreateFolderOptions,
  createFolders,
  type FolderQuery,
  type Folders,
} from './resources/folders.ts';
import { type CreateItemOptions, createItems, type ItemQuery, type Items } from './resources/items.ts';
import { createJobs, type JobArtifact, type Jobs, type JobUpdate } from './resources/jobs.ts';
import type { ListOptions } from './resources/paging.ts';
import { createUsers, type Users } from './resources/users.ts';
import { createFileDownloads, type FileDownloads } from './transfers/download/file-downloads.ts';
import { chooseDownloadTransport } from './transfers/download/transport.ts';
import { createTreeDownloads, type TreeDownloads } from './transfers/download/tree-downloads.ts';
import type { UploadSource } from './transfers/upload/chunk-sources.ts';
import { createChunkedUpload, type UploadTarget } from './transfers/upload/chunked-upload.ts';
import { createTreeUploads, type TreeUploads } from './transfers/upload/tree-uploads.ts';

/**
 * A Girder REST client: authentication, resources (`users`, `folders`, `items`, `files`, `jobs`),
 * any route (`get`, `post`, `put`, `delete`, `send`), streamed downloads that resume with Range,
 * chunked resumable uploads and folder trees both ways. Every request goes through one ky
 * instance; downloads travel the way chosen once for the client (`downloadTransport`). The
 * `getX`/`listX`/`createX` methods are the resources' methods under the names of the Python
 * `girder_client`.
 */
export interface GirderClient extends Authentication, Requester, FileDownloads, TreeDownloads, TreeUploads {
  /** The API root, without a trailing slash. */
  readonly apiUrl: string;
  /** Where the client logs. */
  readonly logger: Logger;
  /** The retry policy, defaults applied. */
  readonly retry: NormalizedRetry;
  /** Upload chunk size in bytes. */
  readonly chunkBytes: number;
  /** Girder's minimum chunk size. */
  readonly minimumChunkBytes: number;
  /**
   * How downloads travel: `http1` (a connection of their own, `http:` or `https:`, read into
   * reused buffers) or `fetch` (a custom `fetch` was given).
   */
  readonly downloadTransport: 'http1' | 'fetch';
  /** Users: `me`, `get`. */
  readonly users: Users;
  /** Folders: `get`, `list`, `create`, `addMetadata`. */
  readonly folders: Folders;
  /** Items: `get`, `list`, `create`, `addMetadata`. */
  readonly items: Items;
  /** File documents: `get`, `list`. */
  readonly files: Files;
  /** Jobs: `get`, `update`, `addArtifact`. */
  readonly jobs: Jobs;
  /**
   * Uploads a path, a Buffer or a Readable with Girder's chunked protocol, resuming failed
   * chunks from the offset Girder reports (see {@link UploadFile} for the whole contract).
   * @param target - `parentType`, `parentId`, `name`, `size`, `mimeType`, `chunkBytes`, `onProgress`, `signal`
   * @param source - a file path, a Buffer/Uint8Array, or a Readable
   * @returns the new file document
   * @throws TypeError naming the field, {@link IncorrectUploadLengthError}, {@link GirderHttpError}, {@link GirderNetworkError}
   */
  uploadFile(target: UploadTarget, source: UploadSource): Promise<GirderFile>;
  /** {@link Users.me}. @param options - `signal` @returns the user, or null when anonymous */
  getMe(options?: SignalOptions): Promise<User | null>;
  /** {@link Files.get}. @param id - the file id @param options - `signal` @returns the file */
  getFile(id: string, options?: SignalOptions): Promise<GirderFile>;
  /** {@link Items.get}. @param id - the item id @param options - `signal` @returns the item */
  getItem(id: string, options?: SignalOptions): Promise<Item>;
  /** {@link Folders.get}. @param id - the folder id @param options - `signal` @returns the folder */
  getFolder(id: string, options?: SignalOptions): Promise<Folder>;
  /** {@link Jobs.get}. @param id - the job id @param options - `signal` @returns the job */
  getJob(id: string, options?: SignalOptions): Promise<Job>;
  /** {@link Folders.list}. @param query - parent and filters @param options - `signal`, `pageSize` @returns the folders */
  listFolders(query: FolderQuery, options?: ListOptions): AsyncGenerator<Folder>;
  /** {@link Items.list}. @param query - folder and filters @param options - `signal`, `pageSize` @returns the items */
  listItems(query: ItemQuery, options?: ListOptions): AsyncGenerator<Item>;
  /** {@link Files.list}. @param itemId - the item id @param options - `signal`, `pageSize` @returns the files */
  listFiles(itemId: string, options?: ListOptions): AsyncGenerator<GirderFile>;
  /** {@link Folders.create}. @param parentId - the parent @param name - the name @param options - see there @returns the folder */
  createFolder(parentId: string, name: string, options?: CreateFolderOptions): Promise<Folder>;
  /** {@link Items.create}. @param folderId - the folder @param name - the name @param options - see there @returns the item */
  createItem(folderId: string, name: string, options?: CreateItemOptions): Promise<Item>;
  /** {@link Items.addMetadata}. @param id - the item @param metadata - keys (null deletes) @param options - `signal` @returns the item */
  addMetadataToItem(id: string, metadata: Record<string, unknown>, options?: SignalOptions): Promise<Item>;
  /** {@link Folders.addMetadata}. @param id - the folder @param metadata - keys (null deletes) @param options - `signal` @returns the folder */
  addMetadataToFolder(
    id: string,
    metadata: Record<string, unknown>,
    options?: SignalOptions,
  ): Promise<Folder>;
  /** {@link Jobs.update}. @param id - the job @param fields - status, log, progress @param options - `signal` @returns the job */
  updateJob(id: string, fields: JobUpdate, options?: SignalOptions): Promise<Job>;
  /** {@link Jobs.addArtifact}. @param id - the job @param artifact - name, source, size, mimeType @returns Girder's answer */
  addJobArtifact(id: string, artifact: JobArtifact): Promise<unknown>;
}

/** The parts a client is assembled from (one ky instance under all of them). */
function assemble(settings: ClientSettings, credentials: Credentials) {
  const redactor = createRedactor(() => credentials.secrets());
  const errors = createErrorMapping(redactor);
  const http = createRequester({ settings, credentials, redactor, errors });
  const transport = chooseDownloadTransport(settings, { settings, credentials, errors, http });
  const resources = {
    users: createUsers(http),
    folders: createFolders(http),
    items: createItems(http),
    files: createFiles(http),
    jobs: createJobs(http),
  };
  const downloads = createFileDownloads({ settings, transport, errors });
  const uploadFile = createChunkedUpload(http, settings);
  return {
    http,
    transport,
    resources,
    downloads,
    trees: createTreeDownloads({ ...resources, downloads }),
    uploadFile,
    uploads: createTreeUploads(uploadFile, resources.folders),
    auth: createAuthentication(http, credentials, settings.logger, settings.apiUrl),
  };
}

/**
 * Creates a Girder client. Options are checked here, once.
 * @param options - `apiUrl`, `token` or `apiKey`, `retry`, `timeout`, `fetch`, `logger`, chunk sizes
 * @returns the client
 * @throws TypeError naming the option when one is invalid
 * @example
 * ```ts
 * const client = createGirderClient({ apiUrl: 'http://localhost:8080/api/v1' });
 * await client.authenticate({ username: 'admin', password: 'secret' });
 * const file = await client.uploadFile({ parentType: 'folder', parentId, name: 'a.csv' }, './a.csv');
 * await pipeline(client.downloadFile(file._id), process.stdout);
 * ```
 */
export function createGirderClient(options: GirderClientOptions): GirderClient {
  const settings = normalizeOptions(options);
  const credentials = new Credentials(options.token, options.apiKey);
  const { http, transport, resources, downloads, trees, uploadFile, uploads, auth } = assemble(
    settings,
    credentials,
  );
  const { users, folders, items, files, jobs } = resources;
  return {
    apiUrl: settings.apiUrl,
    logger: settings.logger,
    retry: settings.retry,
    chunkBytes: settings.chunkBytes,
    minimumChunkBytes: settings.minimumChunkBytes,
    downloadTransport: transport.name,
    ...resources,
    get authenticated() {
      return auth.authenticated;
    },
    setToken: auth.setToken,
    authenticate: auth.authenticate,
    send: http.send,
    request: http.request,
    get: http.get,
    post: http.post,
    put: http.put,
    delete: http.delete,
    getMe: users.me,
    getFile: files.get,
    getItem: items.get,
    getFolder: folders.get,
    getJob: jobs.get,
    listFolders: folders.list,
    listItems: items.list,
    listFiles: files.list,
    createFolder: folders.create,
    createItem: items.create,
    addMetadataToItem: items.addMetadata,
    addMetadataToFolder: folders.addMetadata,
    updateJob: jobs.update,
    addJobArtifact: jobs.addArtifact,
    ...downloads,
    ...trees,
    uploadFile,
    ...uploads,
  };
}

/** `new GirderClient(options)`: the constructor form of {@link createGirderClient}. */
export interface GirderClientConstructor {
  /**
   * @param options - as {@link createGirderClient}
   * @returns the client
   */
  new (options: GirderClientOptions): GirderClient;
}

/**
 * The constructor form of {@link createGirderClient}, kept so that `new GirderClient(options)`
 * goes on working; the object it returns is the factory's (`instanceof` does not apply).
 * @deprecated Use {@link createGirderClient}.
 */
export const GirderClient: GirderClientConstructor = function GirderClient(options: GirderClientOptions) {
  return createGirderClient(options);
} as unknown as GirderClientConstructor;
