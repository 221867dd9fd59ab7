import { type Hash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GirderTestServerError } from './errors.ts';
import {
  AccessType,
  type CollectionDoc,
  type FileDoc,
  type FolderDoc,
  type GirderUserDoc,
  girderDate,
  type ItemDoc,
  type JobDoc,
  type UploadDoc,
} from './models.ts';
import { isObjectId, newObjectId } from './object-id.ts';
import { accessError, validationError } from './rest-error.ts';

/** Internal: the token scope that grants everything a user can do. */
export const USER_AUTH_SCOPE = 'core.user_auth';

/** Internal: a token (girder/models/token.py). */
export interface TokenRecord {
  token: string;
  userId: string | null;
  scope: string[];
  expires: Date;
}

/** Internal: an access-controlled document with its per-user access list. */
export interface Controlled<T> {
  doc: T;
  access: Map<string, number>;
}

/** Internal: an upload in progress. */
export interface UploadRecord {
  doc: UploadDoc;
  tempPath: string;
  /** SHA-512 state of the first `doc.received` bytes (absent when checksums are off). */
  hash: Hash | undefined;
  /** CRC-32 of the first `doc.received` bytes (for zip downloads). */
  crc32: number;
  /** A job artifact: the file is attached to the job instead of an item. */
  attachToJobId?: string;
  /** Serializes the operations on one upload. */
  queue: Promise<unknown>;
}

/** Internal: an API key (girder/models/api_key.py; all of these fields are exposed to its owner). */
export interface ApiKeyDoc {
  _id: string;
  _modelType: 'api_key';
  key: string;
  name: string;
  scope: string[] | null;
  tokenDuration: number | null;
  active: boolean;
  userId: string;
  created: string;
  lastUse: string | null;
}

/** Internal: a user and its secrets. */
export interface UserRecord {
  doc: GirderUserDoc;
  password: string;
  access: Map<string, number>;
}

export type ModelName = 'user' | 'collection' | 'folder' | 'item' | 'file' | 'upload' | 'job';

/**
 * Internal: the server's whole state, in memory; file bytes live under `dataDir`.
 * Business rules that several routes share (access, sizes, names) live here.
 */
export class State {
  readonly dataDir: string;
  readonly assetstoreId: string = newObjectId();
  minimumChunkSize: number;
  /** Whether uploads compute the files' SHA-512. */
  checksums = true;
  apiUrl = '';
  readonly users: Map<string, UserRecord> = new Map();
  readonly tokens: Map<string, TokenRecord> = new Map();
  /** API keys by key (girder/models/api_key.py). */
  readonly apiKeys: Map<string, ApiKeyDoc> = new Map();
  readonly collections: Map<string, Controlled<CollectionDoc>> = new Map();
  readonly folders: Map<string, Controlled<FolderDoc>> = new Map();
  readonly items: Map<string, ItemDoc> = new Map();
  readonly files: Map<string, FileDoc> = new Map();
  /** CRC-32 of each file's bytes (zip downloads need it before the data). */
  readonly fileCrc32: Map<string, number> = new Map();
  readonly uploads: Map<string, UploadRecord> = new Map();
  readonly jobs: Map<string, Controlled<JobDoc>> = new Map();

  constructor(dataDir: string, minimumChunkSize: number) {
    this.dataDir = dataDir;
    this.minimumChunkSize = minimumChunkSize;
  }

  /** Where a file's bytes are stored. */
  filePath(fileId: string): string {
    return join(this.dataDir, 'assetstore', fileId);
  }

  /** Where an upload's bytes are written until it is finalized. */
  uploadPath(uploadId: string): string {
    return join(this.dataDir, 'uploads', uploadId);
  }

  // ---------------------------------------------------------------- loading

  /**
   * Loads a document by id as Girder's `Model.load(exc=True)` does: a malformed id is
   * "Invalid ObjectId", a missing one "No such <model>", both 400 with `field: "id"`.
   */
  load(model: 'user', id: string): UserRecord;
  load(model: 'collection', id: string): Controlled<CollectionDoc>;
  load(model: 'folder', id: string): Controlled<FolderDoc>;
  load(model: 'item', id: string): ItemDoc;
  load(model: 'file', id: string): FileDoc;
  load(model: 'upload', id: string): UploadRecord;
  load(model: 'job', id: string): Controlled<JobDoc>;
  load(model: ModelName, id: string): unknown {
    if (!id) throw validationError(`Attempt to load null ObjectId: ${id}`);
    if (!isObjectId(id)) throw validationError(`Invalid ObjectId: ${id}`, 'id');
    const key = id.toLowerCase();
    const found = this.mapFor(model).get(key);
    if (found === undefined) throw validationError(`No such ${model}: ${key}`, 'id');
    return found;
  }

  private mapFor(model: ModelName): Map<string, unknown> {
    switch (model) {
      case 'user':
        return this.users;
      case 'collection':
        return this.collections;
      case 'folder':
        return this.folders;
      case 'item':
        return this.items;
      case 'file':
        return this.files;
      case 'upload':
        return this.uploads;
      case 'job':
        return this.jobs;
    }
  }

  /** Direct-API lookup that throws a package error instead of a REST one. */
  mustGet<T>(map: Map<string, T>, model: string, id: string): T {
    const found = map.get(id);
    if (found === undefined) {
      throw new GirderTestServerError(
        'GIRDER_TEST_SERVER_NOT_FOUND',
        `No ${model} with id ${id} exists on this test server.`,
      );
    }
    return found;
  }

  // ---------------------------------------------------------------- access

  /** The access level a user has on a user document (self: admin; others: read, users are public). */
  userLevel(target: UserRecord, user: GirderUserDoc | undefined): number {
    if (user?.admin) return AccessType.ADMIN;
    const own = user === undefined ? AccessType.NONE : (target.access.get(user._id) ?? AccessType.NONE);
    return Math.max(own, target.doc.public ? AccessType.READ : AccessType.NONE);
  }

  /** The access level a user has on a folder, collection or job. */
  level(record: Controlled<{ public: boolean }>, user: GirderUserDoc | undefined): number {
    if (user?.admin) return AccessType.ADMIN;
    const own = user === undefined ? AccessType.NONE : (record.access.get(user._id) ?? AccessType.NONE);
    return Math.max(own, record.doc.public ? AccessType.READ : AccessType.NONE);
  }

  /** Throws Girder's access exception unless `user` has `level` on the document. */
  requireAccess(
    model: 'user' | 'collection' | 'folder' | 'job',
    record: Controlled<{ _id: string; public: boolean }>,
    user: GirderUserDoc | undefined,
    level: number,
  ): void {
    if (this.level(record, user) >= level) return;
    const perm = level === AccessType.READ ? 'Read' : level === AccessType.WRITE ? 'Write' : 'Admin';
    throw accessError(`${perm} access denied for ${model} ${record.doc._id} (user ${user?._id ?? 'None'}).`);
  }

  /** Loads a folder/user/collection parent and checks the level, as `ModelImporter.model(t).load(level=…)`. */
  loadParent(
    parentType: 'folder' | 'user' | 'collection',
    id: string,
    user: GirderUserDoc | undefined,
    level: number,
  ): Controlled<{ _id: string; public: boolean }> & { type: 'folder' | 'user' | 'collection' } {
    if (parentType === 'folder') {
      const folder = this.load('folder', id);
      this.requireAccess('folder', folder, user, level);
      return { ...folder, type: 'folder' };
    }
    if (parentType === 'collection') {
      const collection = this.load('collection', id);
      this.requireAccess('collection', collection, user, level);
      return { ...collection, type: 'collection' };
    }
    const target = this.load('user', id);
    const record = { doc: target.doc, access: target.access };
    if (this.userLevel(target, user) < level) {
      const perm = level === AccessType.READ ? 'Read' : level === AccessType.WRITE ? 'Write' : 'Admin';
      throw accessError(`${perm} access denied for user ${target.doc._id} (user ${user?._id ?? 'None'}).`);
    }
    return { ...record, type: 'user' };
  }

  /** Loads a folder and checks access. */
  loadFolder(id: string, user: GirderUserDoc | undefined, level: number): Controlled<FolderDoc> {
    const folder = this.load('folder', id);
    this.requireAccess('folder', folder, user, level);
    return folder;
  }

  /** Loads an item and checks access on its folder (items inherit their folder's access). */
  loadItem(id: string, user: GirderUserDoc | undefined, level: number): ItemDoc {
    const item = this.load('item', id);
    const folder = this.folders.get(item.folderId);
    if (folder !== undefined && this.level(folder, user) < level) {
      const perm = level === AccessType.READ ? 'Read' : level === AccessType.WRITE ? 'Write' : 'Admin';
      throw accessError(`${perm} access denied for item ${item._id} (user ${user?._id ?? 'None'}).`);
    }
    return item;
  }

  /** Loads a file and checks access on its item's folder, or on its job for artifacts. */
  loadFile(id: string, user: GirderUserDoc | undefined, level: number, token?: TokenRecord): FileDoc {
    const file = this.load('file', id);
    const perm = level === AccessType.READ ? 'Read' : level === AccessType.WRITE ? 'Write' : 'Admin';
    if (file.itemId !== null) {
      const item = this.items.get(file.itemId);
      const folder = item === undefined ? undefined : this.folders.get(item.folderId);
      if (folder !== undefined && this.level(folder, user) < level) {
        throw accessError(`${perm} access denied for file ${file._id} (user ${user?._id ?? 'None'}).`);
      }
    } else if (file.attachedToType === 'job' && file.attachedToId !== undefined) {
      const job = this.jobs.get(file.attachedToId);
      const scoped = token?.scope.includes(`jobs.job_${file.attachedToId}`) ?? false;
      if (job !== undefined && !scoped && this.level(job, user) < level) {
        throw accessError(`${perm} access denied for file ${file._id} (user ${user?._id ?? 'None'}).`);
      }
    }
    return file;
  }

  // ---------------------------------------------------------------- users and tokens

  /** Creates a user with the "Public" and "Private" folders Girder gives every new user. */
  createUser(o: {
    login: string;
    password: string;
    admin?: boolean;
    email?: string;
    firstName?: string;
    lastName?: string;
  }): UserRecord {
    const login = o.login.trim().toLowerCase();
    for (const existing of this.users.values()) {
      if (existing.doc.login === login) throw validationError('That login is already registered.', 'login');
    }
    const doc: GirderUserDoc = {
      _id: newObjectId(),
      _modelType: 'user',
      login,
      email: o.email ?? `${login}@example.com`,
      firstName: o.firstName ?? login,
      lastName: o.lastName ?? 'User',
      admin: o.admin ?? false,
      public: true,
      status: 'enabled',
      emailVerified: true,
      created: girderDate(),
      size: 0,
      groups: [],
    };
    const record: UserRecord = { doc, password: o.password, access: new Map([[doc._id, AccessType.ADMIN]]) };
    this.users.set(doc._id, record);
    this.createFolder({ parentType: 'user', parentId: doc._id, name: 'Public', public: true, creator: doc });
    this.createFolder({
      parentType: 'user',
      parentId: doc._id,
      name: 'Private',
      public: false,
      creator: doc,
    });
    return record;
  }

  /** Creates a token (64 alphanumeric characters, as Girder's). */
  createToken(userId: string | null, scope: string[] = [USER_AUTH_SCOPE], days = 180): TokenRecord {
    const token: TokenRecord = {
      token: randomAlnum(64),
      userId,
      scope,
      expires: new Date(Date.now() + days * 86_400_000),
    };
    this.tokens.set(token.token, token);
    return token;
  }

  /** Creates an API key (40 alphanumeric characters) for a user. */
  createApiKey(
    userId: string,
    scope: string[] | null = null,
    o: { name?: string; tokenDuration?: number | null; active?: boolean } = {},
  ): string {
    const key = randomAlnum(40);
    this.apiKeys.set(key, {
      _id: newObjectId(),
      _modelType: 'api_key',
      key,
      name: (o.name ?? '').trim(),
      scope,
      tokenDuration: o.tokenDuration ?? null,
      active: o.active ?? true,
      userId,
      created: girderDate(),
      lastUse: null,
    });
    return key;
  }

  /** The user a request's token authenticates, as girder/api/rest.py `getCurrentUser` decides. */
  userForToken(token: TokenRecord | undefined, requiredScopes: readonly string[]): GirderUserDoc | undefined {
    if (token === undefined || token.expires.getTime() < Date.now() || token.userId === null)
      return undefined;
    // A route that names no scope requires user authentication (rest.py: requiredScopes or USER_AUTH).
    const allowed =
      token.scope.includes(USER_AUTH_SCOPE) ||
      (requiredScopes.length > 0 && requiredScopes.every((s) => token.scope.includes(s)));
    if (!allowed) return undefined;
    return this.users.get(token.userId)?.doc;
  }

  // ---------------------------------------------------------------- collections, folders, items

  /**
   * Creates a collection as girder/models/collection.py `createCollection` + `validate`: the name is
   * stripped, must not be empty and must be unique (400, `field: "name"`); the creator gets admin
   * access.
   */
  createCollection(o: {
    name: string;
    description?: string;
    public?: boolean;
    creator?: GirderUserDoc;
  }): Controlled<CollectionDoc> {
    const now = girderDate();
    const doc: CollectionDoc = {
      _id: newObjectId(),
      _modelType: 'collection',
      name: o.name,
      description: o.description ?? '',
      public: o.public ?? true,
      creatorId: o.creator?._id ?? null,
      created: now,
      updated: now,
      size: 0,
      meta: {},
    };
    this.validateCollection(doc);
    const record = { doc, access: new Map<string, number>() };
    if (o.creator) record.access.set(o.creator._id, AccessType.ADMIN);
    this.collections.set(doc._id, record);
    return record;
  }

  /** girder/models/collection.py `validate`: strips, refuses an empty or duplicate name. */
  validateCollection(doc: CollectionDoc): void {
    doc.name = doc.name.trim();
    doc.description = doc.description.trim();
    if (!doc.name) throw validationError('Collection name must not be empty.', 'name');
    for (const other of this.collections.values()) {
      if (other.doc._id !== doc._id && other.doc.name === doc.name) {
        throw validationError('A collection with that name already exists.', 'name');
      }
    }
  }

  /** Deletes a collection and everything under it (girder Collection.remove), bytes included. */
  async deleteCollection(id: string): Promise<void> {
    for (const folder of [...this.folders.values()]) {
      if (folder.doc.parentCollection === 'collection' && folder.doc.parentId === id) {
        await this.deleteFolder(folder.doc._id);
      }
    }
    this.collections.delete(id);
  }

  /** Deletes a folder, its sub-folders, items and files (girder Folder.remove). */
  async deleteFolder(id: string): Promise<void> {
    for (const sub of [...this.folders.values()]) {
      if (sub.doc.parentCollection === 'folder' && sub.doc.parentId === id)
        await this.deleteFolder(sub.doc._id);
    }
    for (const item of [...this.items.values()]) {
      if (item.folderId !== id) continue;
      for (const file of this.itemFiles(item._id)) {
        this.files.delete(file._id);
        this.fileCrc32.delete(file._id);
        await rm(this.filePath(file._id), { force: true });
      }
      this.items.delete(item._id);
    }
    this.folders.delete(id);
  }

  /** Creates a folder as girder/models/folder.py `createFolder` does (name checks, inherited access). */
  createFolder(o: {
    parentType: 'folder' | 'user' | 'collection';
    parentId: string;
    name: string;
    description?: string;
    public?: boolean | undefined;
    creator?: GirderUserDoc | undefined;
    reuseExisting?: boolean;
  }): Controlled<FolderDoc> {
    const name = o.name.trim();
    if (o.reuseExisting) {
      for (const folder of this.folders.values()) {
        if (
          folder.doc.parentId === o.parentId &&
          folder.doc.parentCollection === o.parentType &&
          folder.doc.name === name
        ) {
          return folder;
        }
      }
    }
    if (!name) throw validationError('Folder name must not be empty.', 'name');
    let baseParentId = o.parentId;
    let baseParentType: 'user' | 'collection' = o.parentType === 'collection' ? 'collection' : 'user';
    // Folders under a folder or a collection copy its access policies (Folder.createFolder).
    let inherited: Controlled<{ public: boolean }> | undefined;
    if (o.parentType === 'folder') {
      const parent = this.mustGet(this.folders, 'folder', o.parentId);
      inherited = parent;
      baseParentId = parent.doc.baseParentId;
      baseParentType = parent.doc.baseParentType;
    } else if (o.parentType === 'user') {
      this.mustGet(this.users, 'user', o.parentId);
    } else {
      inherited = this.mustGet(this.collections, 'collection', o.parentId);
    }
    this.checkSiblingName(o.parentType, o.parentId, name, 'folder');
    const now = girderDate();
    const doc: FolderDoc = {
      _id: newObjectId(),
      _modelType: 'folder',
      name,
      description: (o.description ?? '').trim(),
      parentId: o.parentId,
      parentCollection: o.parentType,
      baseParentId,
      baseParentType,
      public: o.public ?? inherited?.doc.public ?? false,
      creatorId: o.creator?._id ?? null,
      created: now,
      updated: now,
      size: 0,
      meta: {},
    };
    const access = new Map<string, number>(inherited?.access ?? []);
    if (o.creator) access.set(o.creator._id, AccessType.ADMIN);
    const record = { doc, access };
    this.folders.set(doc._id, record);
    return record;
  }

  private checkSiblingName(parentType: string, parentId: string, name: string, kind: 'folder'): void {
    for (const folder of this.folders.values()) {
      if (
        folder.doc.parentId === parentId &&
        folder.doc.parentCollection === parentType &&
        folder.doc.name === name
      ) {
        throw validationError('A folder with that name already exists here.', 'name');
      }
    }
    if (parentType === 'folder' && kind === 'folder') {
      for (const item of this.items.values()) {
        if (item.folderId === parentId && item.name === name) {
          throw validationError('An item with that name already exists here.', 'name');
        }
      }
    }
  }

  /** Creates an item; a name taken by a sibling gets " (n)" appended, as girder/models/item.py `validate`. */
  createItem(o: {
    folderId: string;
    name: string;
    description?: string;
    creator?: GirderUserDoc | undefined;
    reuseExisting?: boolean;
  }): ItemDoc {
    const folder = this.mustGet(this.folders, 'folder', o.folderId);
    const base = o.name.trim();
    if (o.reuseExisting) {
      for (const item of this.items.values())
        if (item.folderId === o.folderId && item.name === base) return item;
    }
    if (!base) throw validationError('Item name must not be empty.', 'name');
    let name = base;
    for (let n = 1; this.siblingNameTaken(o.folderId, name); n++) name = `${base} (${n})`;
    const now = girderDate();
    const item: ItemDoc = {
      _id: newObjectId(),
      _modelType: 'item',
      name,
      description: (o.description ?? '').trim(),
      folderId: o.folderId,
      baseParentId: folder.doc.baseParentId,
      baseParentType: folder.doc.baseParentType,
      creatorId: o.creator?._id ?? null,
      created: now,
      updated: now,
      size: 0,
      meta: {},
    };
    this.items.set(item._id, item);
    return item;
  }

  private siblingNameTaken(folderId: string, name: string): boolean {
    for (const item of this.items.values()) if (item.folderId === folderId && item.name === name) return true;
    for (const folder of this.folders.values()) {
      if (
        folder.doc.parentId === folderId &&
        folder.doc.parentCollection === 'folder' &&
        folder.doc.name === name
      )
        return true;
    }
    return false;
  }

  /** Adds `delta` bytes to an item, its folder and its base parent (girder `propagateSizeChange`). */
  propagateSizeChange(item: ItemDoc, delta: number): void {
    if (delta === 0) return;
    item.size += delta;
    const folder = this.folders.get(item.folderId);
    if (folder) folder.doc.size += delta;
    if (item.baseParentType === 'user') {
      const user = this.users.get(item.baseParentId);
      if (user) user.doc.size += delta;
    } else {
      const collection = this.collections.get(item.baseParentId);
      if (collection) collection.doc.size += delta;
    }
  }

  /** Creates the file document for finished bytes. */
  createFileDoc(o: {
    itemId: string | null;
    name: string;
    size: number;
    mimeType: string;
    creatorId: string | null;
    sha512: string | undefined;
    fileId?: string;
  }): FileDoc {
    const now = girderDate();
    const dot = o.name.lastIndexOf('.');
    const file: FileDoc = {
      _id: o.fileId ?? newObjectId(),
      _modelType: 'file',
      name: o.name,
      itemId: o.itemId,
      size: o.size,
      mimeType: o.mimeType,
      exts: dot > 0 ? o.name.slice(dot + 1).split('.') : [],
      creatorId: o.creatorId,
      created: now,
      updated: now,
      assetstoreId: this.assetstoreId,
    };
    if (o.sha512 !== undefined) file.sha512 = o.sha512;
    return file;
  }

  /** Metadata update with Girder's rule: a null value deletes the key unless `allowNull`. */
  setMetadata(
    target: { meta: Record<string, unknown>; updated: string },
    metadata: Record<string, unknown>,
    allowNull: boolean,
  ): void {
    for (const key of Object.keys(metadata)) {
      if (!key) throw validationError('Key names must not be empty.');
      if (key.includes('.'))
        throw validationError(`Invalid key ${key}: keys must not contain the "." character.`);
      if (key.startsWith('$'))
        throw validationError(`Invalid key ${key}: keys must not start with the "$" character.`);
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (value === null && !allowNull) delete target.meta[key];
      else target.meta[key] = value;
    }
    target.updated = girderDate();
  }

  /** The files of an item, in creation order. */
  itemFiles(itemId: string): FileDoc[] {
    return [...this.files.values()].filter((f) => f.itemId === itemId);
  }
}

function randomAlnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const b = bytes[i] as number;
    if (b < 248) out += alphabet[b % 62];
  }
  return out;
}
