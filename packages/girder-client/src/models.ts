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
  _modelType: 'user';
  login: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  admin?: boolean;
}

/** A Girder folder. */
export interface Folder extends GirderDocument {
  _modelType: 'folder';
  name: string;
  description?: string;
  parentId: string;
  parentCollection: 'folder' | 'user' | 'collection';
  public?: boolean;
  size?: number;
  meta?: Record<string, unknown>;
}

/** A Girder item. */
export interface Item extends GirderDocument {
  _modelType: 'item';
  name: string;
  folderId: string;
  size?: number;
  meta?: Record<string, unknown>;
}

/** A Girder file. */
export interface GirderFile extends GirderDocument {
  _modelType: 'file';
  name: string;
  itemId: string | null;
  size: number;
  mimeType?: string;
}

/** An upload in progress. */
export interface Upload extends GirderDocument {
  _modelType: 'upload';
  received: number;
  size: number;
  name: string;
  parentType: string;
  parentId: string;
}

/** A job's progress. */
export interface JobProgress {
  total?: number;
  current?: number;
  message?: string;
}

/** A Girder job. */
export interface Job extends GirderDocument {
  _modelType: 'job';
  title?: string;
  type?: string;
  status: number;
  log?: string[];
  progress?: JobProgress | null;
  timestamps?: { status: number; time: string }[];
}

/** What Girder answers to a login. */
export interface AuthToken {
  token: string;
  expires: string;
  scope?: string[];
}
