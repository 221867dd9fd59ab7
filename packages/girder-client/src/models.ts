/** Fields every Girder document has. */
export interface GirderDocument {
  /** 24-hex ObjectId. */
  _id: string;
  /** The model name. */
  _modelType: string;
  /** Anything else Girder sends. */
  [key: string]: unknown;
}

/** A Girder user. */
export interface User extends GirderDocument {
  /** Always `user`. */
  _modelType: 'user';
  /** The login name. */
  login: string;
  /** The e-mail address (shown to admins and the user). */
  email?: string;
  /** First name. */
  firstName?: string;
  /** Last name. */
  lastName?: string;
  /** Whether the user is a site admin. */
  admin?: boolean;
}

/** A Girder folder. */
export interface Folder extends GirderDocument {
  /** Always `folder`. */
  _modelType: 'folder';
  /** The folder name (unique among its siblings). */
  name: string;
  /** Free text. */
  description?: string;
  /** The parent's id. */
  parentId: string;
  /** What the parent is. */
  parentCollection: 'folder' | 'user' | 'collection';
  /** Whether anyone may read it. */
  public?: boolean;
  /** Total bytes below it. */
  size?: number;
  /** User metadata. */
  meta?: Record<string, unknown>;
}

/** A Girder item. */
export interface Item extends GirderDocument {
  /** Always `item`. */
  _modelType: 'item';
  /** The item name. */
  name: string;
  /** The folder holding it. */
  folderId: string;
  /** Total bytes of its files. */
  size?: number;
  /** User metadata. */
  meta?: Record<string, unknown>;
}

/** A Girder file. */
export interface GirderFile extends GirderDocument {
  /** Always `file`. */
  _modelType: 'file';
  /** The file name. */
  name: string;
  /** The item holding it (null for job artifacts and other attached files). */
  itemId: string | null;
  /** Bytes. */
  size: number;
  /** MIME type. */
  mimeType?: string;
  /** SHA-512 of the bytes, when the assetstore computed it. */
  sha512?: string;
}

/** An upload in progress. */
export interface Upload extends GirderDocument {
  /** Always `upload`. */
  _modelType: 'upload';
  /** Bytes Girder has so far. */
  received: number;
  /** Bytes declared. */
  size: number;
  /** The file name. */
  name: string;
  /** `item` or `folder`. */
  parentType: string;
  /** The parent's id. */
  parentId: string;
}

/** A job's progress. */
export interface JobProgress {
  /** Units of work in all. */
  total?: number;
  /** Units done. */
  current?: number;
  /** What is happening. */
  message?: string;
}

/** A Girder job. */
export interface Job extends GirderDocument {
  /** Always `job`. */
  _modelType: 'job';
  /** Human title. */
  title?: string;
  /** Job type. */
  type?: string;
  /** Status number: 0 INACTIVE, 1 QUEUED, 2 RUNNING, 3 SUCCESS, 4 ERROR, 5 CANCELED, 820–824 the worker's. */
  status: number;
  /** Log lines (GET answers carry them). */
  log?: string[];
  /** Progress, or null. */
  progress?: JobProgress | null;
  /** Status changes with their times. */
  timestamps?: { status: number; time: string }[];
}

/** What Girder answers to a login. */
export interface AuthToken {
  /** The token (a secret: never log it). */
  token: string;
  /** When it expires (ISO date). */
  expires: string;
  /** Its scopes. */
  scope?: string[];
}
