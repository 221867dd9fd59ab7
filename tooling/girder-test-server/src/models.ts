/**
 * The JSON documents the server answers with, shaped as Girder's filtered models
 * (`girder/models/*.py` `exposeFields`). Dates are ISO 8601 strings as Girder's JSON encoder writes
 * them (`2026-01-02T03:04:05.678000+00:00`).
 */

/** Access levels (girder/constants.py `AccessType`). */
export const AccessType: { readonly NONE: -1; readonly READ: 0; readonly WRITE: 1; readonly ADMIN: 2 } = {
  NONE: -1,
  READ: 0,
  WRITE: 1,
  ADMIN: 2,
} as const;

/** A user (girder/models/user.py). */
export interface GirderUserDoc {
  _id: string;
  _modelType: 'user';
  _accessLevel?: number;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  admin: boolean;
  public: boolean;
  status: 'enabled';
  emailVerified: boolean;
  created: string;
  size: number;
  groups: string[];
}

/** A collection (girder/models/collection.py). */
export interface CollectionDoc {
  _id: string;
  _modelType: 'collection';
  _accessLevel?: number;
  name: string;
  description: string;
  public: boolean;
  creatorId: string | null;
  created: string;
  updated: string;
  size: number;
  meta: Record<string, unknown>;
}

/** A folder (girder/models/folder.py). */
export interface FolderDoc {
  _id: string;
  _modelType: 'folder';
  _accessLevel?: number;
  name: string;
  description: string;
  parentId: string;
  parentCollection: 'folder' | 'user' | 'collection';
  baseParentId: string;
  baseParentType: 'user' | 'collection';
  public: boolean;
  creatorId: string | null;
  created: string;
  updated: string;
  size: number;
  meta: Record<string, unknown>;
}

/** An item (girder/models/item.py). */
export interface ItemDoc {
  _id: string;
  _modelType: 'item';
  name: string;
  description: string;
  folderId: string;
  baseParentId: string;
  baseParentType: 'user' | 'collection';
  creatorId: string | null;
  created: string;
  updated: string;
  size: number;
  meta: Record<string, unknown>;
}

/** A file (girder/models/file.py). Job artifacts are files attached to a job (`attachedToType: "job"`, `itemId: null`). */
export interface FileDoc {
  _id: string;
  _modelType: 'file';
  name: string;
  itemId: string | null;
  size: number;
  mimeType: string;
  exts: string[];
  creatorId: string | null;
  created: string;
  updated: string;
  assetstoreId: string;
  /** SHA-512 of the bytes (hex); absent when the server runs with `checksums: false`. */
  sha512?: string;
  attachedToType?: 'job';
  attachedToId?: string;
}

/** A pending upload (girder/models/upload.py). */
export interface UploadDoc {
  _id: string;
  _modelType: 'upload';
  name: string;
  size: number;
  received: number;
  mimeType: string;
  parentType: 'folder' | 'item' | null;
  parentId: string | null;
  userId: string;
  assetstoreId: string;
  created: string;
  updated: string;
  fileId?: string;
  reference?: string;
}

/** A job's progress (plugins/jobs `_updateProgress`). */
export interface JobProgress {
  total: number | null;
  current: number | null;
  message: string | null;
}

/** The spec a worker gets to report on its job (`jobInfoSpec`). */
export interface JobInfoSpec {
  method: 'PUT';
  url: string;
  reference: string;
  headers: { 'Girder-Token': string };
  logPrint: true;
}

/** A job (plugins/jobs/girder_jobs/models/job.py). */
export interface JobDoc {
  _id: string;
  _modelType: 'job';
  title: string;
  type: string;
  handler: string | null;
  status: number | string;
  log: string[];
  progress: JobProgress | null;
  timestamps: { status: number | string; time: string }[];
  args: unknown[];
  kwargs: Record<string, unknown>;
  meta: Record<string, unknown>;
  created: string;
  updated: string;
  when: string;
  interval: number;
  asynchronous: boolean;
  parentId: string | null;
  userId: string | null;
  public: boolean;
  /** Set when the job is scheduled for girder_worker (`createJob()`); absent on jobs made by `POST /job`. */
  jobInfoSpec?: JobInfoSpec;
}

/** One request the server answered, recorded for assertions. */
export interface RequestRecord {
  /** The HTTP method. */
  method: string;
  /** The URL path, without the query (e.g. `/api/v1/file/chunk`). */
  path: string;
  /** The query parameters. */
  query: Record<string, string>;
  /** The status sent (0 if the connection closed before a response started). */
  status: number;
  /** Whether a fault was injected into this request (failed, delayed or cut). */
  fault?: 'fail' | 'delay' | 'cut';
}

/**
 * Girder's date format: ISO 8601 with microseconds and an explicit UTC offset.
 *
 * @param date - The instant (default now).
 * @returns The date as Girder writes it.
 */
export function girderDate(date: Date = new Date()): string {
  return date.toISOString().replace('Z', '000+00:00');
}
