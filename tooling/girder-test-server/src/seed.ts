import { GirderTestServerError } from './errors.ts';
import type { FileDoc, GirderUserDoc } from './models.ts';
import { encodePathToken } from './resource-path.ts';
import type { State } from './state.ts';

/** A file in a seed: exactly one of `content` (UTF-8 text), `base64` or `path` (a host file, streamed). */
export interface SeedFile {
  /** The file name. */
  name: string;
  /** The bytes as UTF-8 text. */
  content?: string;
  /** The bytes, base64-encoded. */
  base64?: string;
  /** A file on this host to copy the bytes from. */
  path?: string;
  /**
   * The MIME type.
   * @default "application/octet-stream"
   */
  mimeType?: string;
}

/** An item in a seed, with its files. */
export interface SeedItem {
  /** The item name. */
  name: string;
  /** The description. @default "" */
  description?: string;
  /** Metadata (`meta`). @default {} */
  meta?: Record<string, unknown>;
  /** Its files. @default [] */
  files?: SeedFile[];
}

/** A folder in a seed. `files` is a shorthand for items holding one file each, named after it. */
export interface SeedFolder {
  /** The folder name ("Public" or "Private" under a user reuses that user's folder). */
  name: string;
  /** The description. @default "" */
  description?: string;
  /** Public or not. @default inherited from the parent folder; false under a user or collection */
  public?: boolean;
  /** Metadata (`meta`). @default {} */
  meta?: Record<string, unknown>;
  /** Sub-folders. @default [] */
  folders?: SeedFolder[];
  /** Items. @default [] */
  items?: SeedItem[];
  /** Files, each as an item of the same name holding that file. @default [] */
  files?: SeedFile[];
}

/** A user in a seed; it gets Girder's "Public" and "Private" folders, a token and an API key. */
export interface SeedUser {
  /** The login. */
  login: string;
  /** The password (HTTP Basic on `/user/authentication`). */
  password: string;
  /** A site admin or not. @default false */
  admin?: boolean;
  /** The e-mail address. @default "<login>@example.com" */
  email?: string;
  /** The first name. @default the login */
  firstName?: string;
  /** The last name. @default "User" */
  lastName?: string;
  /** Extra API keys with scopes (e.g. `["jobs.rest.create_job"]`); the user always gets one full key. @default [] */
  apiKeys?: { name?: string; scope?: string[] }[];
  /** Folders under the user. @default [] */
  folders?: SeedFolder[];
}

/** A collection in a seed. */
export interface SeedCollection {
  /** The name (unique). */
  name: string;
  /** The description. @default "" */
  description?: string;
  /** Public or not. @default true */
  public?: boolean;
  /** Login of the seeded user (or the admin) who owns it. @default the admin */
  creator?: string;
  /** Metadata (`meta`). @default {} */
  meta?: Record<string, unknown>;
  /** Folders under the collection. @default [] */
  folders?: SeedFolder[];
}

/** State to set up in one call: users, then collections, each with a tree of folders, items and files. */
export interface GirderSeed {
  /** Users to create. @default [] */
  users?: SeedUser[];
  /** Collections to create. @default [] */
  collections?: SeedCollection[];
}

/** What a seed created: credentials by login, and the id of every resource by its Girder path. */
export interface SeedResult {
  /** Each seeded user's id and credentials, by login. */
  users: Record<
    string,
    {
      _id: string;
      login: string;
      password: string;
      token: string;
      apiKey: string;
      apiKeys: string[];
      privateFolderId: string;
      publicFolderId: string;
    }
  >;
  /**
   * The id of every seeded resource by its path as `GET /resource/lookup` takes it, e.g.
   * `/collection/Data/inputs/a.txt` (an item) or `/collection/Data/inputs/a.txt/a.txt` (its file).
   */
  paths: Record<string, string>;
}

/** Internal: what seeding needs from the server. */
export interface SeedTarget {
  state: State;
  admin: GirderUserDoc;
  createUser(o: SeedUser): {
    user: GirderUserDoc;
    token: string;
    apiKey: string;
    privateFolderId: string;
    publicFolderId: string;
  };
  createFile(o: {
    itemId: string;
    name: string;
    data: Buffer | string | { path: string };
    mimeType?: string;
    creatorId?: string;
  }): Promise<FileDoc>;
}

// ------------------------------------------------------------------ validation

function invalid(field: string, expected: string, got: unknown): never {
  let text = JSON.stringify(got) ?? String(got);
  if (text.length > 60) text = `${text.slice(0, 57)}...`;
  throw new GirderTestServerError(
    'GIRDER_TEST_SERVER_INVALID_SEED',
    `seed${field ? `.${field}` : ''}: expected ${expected}, got ${text}.`,
  );
}

function object(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(field, 'an object', value);
  for (const key of Object.keys(value as object)) {
    if (!allowed.includes(key)) {
      invalid(field ? `${field}.${key}` : key, `no such field (allowed: ${allowed.join(', ')})`, key);
    }
  }
  return value as Record<string, unknown>;
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') invalid(field, 'a non-empty string', value);
  return value as string;
}

function optional<T>(value: unknown, field: string, type: 'string' | 'boolean' | 'object'): T | undefined {
  if (value === undefined) return undefined;
  if (type === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      invalid(field, 'an object', value);
  } else if (typeof value !== type) {
    invalid(field, `a ${type}`, value);
  }
  return value as T;
}

/** Checks each element of an optional array, naming it `field[i]`. */
function each(value: unknown, field: string, check: (element: unknown, field: string) => unknown): void {
  for (const [i, element] of list(value, field).entries()) check(element, `${field}[${i}]`);
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalid(field, 'an array', value);
  return value as unknown[];
}

const FILE_FIELDS = ['name', 'content', 'base64', 'path', 'mimeType'] as const;
const ITEM_FIELDS = ['name', 'description', 'meta', 'files'] as const;
const FOLDER_FIELDS = ['name', 'description', 'public', 'meta', 'folders', 'items', 'files'] as const;
const USER_FIELDS = [
  'login',
  'password',
  'admin',
  'email',
  'firstName',
  'lastName',
  'apiKeys',
  'folders',
] as const;
const COLLECTION_FIELDS = ['name', 'description', 'public', 'creator', 'meta', 'folders'] as const;

function checkFile(value: unknown, field: string): SeedFile {
  const o = object(value, field, FILE_FIELDS);
  name(o.name, `${field}.name`);
  const sources = (['content', 'base64', 'path'] as const).filter((k) => o[k] !== undefined);
  if (sources.length !== 1) invalid(field, 'exactly one of "content", "base64", "path"', sources);
  for (const key of ['content', 'base64', 'path', 'mimeType'] as const)
    optional(o[key], `${field}.${key}`, 'string');
  return o as unknown as SeedFile;
}

function checkItem(value: unknown, field: string): SeedItem {
  const o = object(value, field, ITEM_FIELDS);
  name(o.name, `${field}.name`);
  optional(o.description, `${field}.description`, 'string');
  optional(o.meta, `${field}.meta`, 'object');
  each(o.files, `${field}.files`, checkFile);
  return o as unknown as SeedItem;
}

function checkFolder(value: unknown, field: string): SeedFolder {
  const o = object(value, field, FOLDER_FIELDS);
  name(o.name, `${field}.name`);
  optional(o.description, `${field}.description`, 'string');
  optional(o.public, `${field}.public`, 'boolean');
  optional(o.meta, `${field}.meta`, 'object');
  each(o.folders, `${field}.folders`, checkFolder);
  each(o.items, `${field}.items`, checkItem);
  each(o.files, `${field}.files`, checkFile);
  return o as unknown as SeedFolder;
}

/**
 * Internal: checks a seed before anything is created; unknown fields are refused.
 *
 * @param value - The parsed seed.
 * @returns The seed, typed.
 * @throws GirderTestServerError (`GIRDER_TEST_SERVER_INVALID_SEED`) naming the field.
 */
function checkSeed(value: unknown): GirderSeed {
  const seed = object(value, '', ['users', 'collections']);
  each(seed.users, 'users', checkUser);
  each(seed.collections, 'collections', checkCollection);
  return seed as GirderSeed;
}

function checkUser(value: unknown, f: string): void {
  const o = object(value, f, USER_FIELDS);
  name(o.login, `${f}.login`);
  if (typeof o.password !== 'string') invalid(`${f}.password`, 'a string', o.password);
  optional(o.admin, `${f}.admin`, 'boolean');
  for (const key of ['email', 'firstName', 'lastName'] as const) optional(o[key], `${f}.${key}`, 'string');
  each(o.apiKeys, `${f}.apiKeys`, (k, kf) => {
    const key = object(k, kf, ['name', 'scope']);
    optional(key.name, `${kf}.name`, 'string');
    each(key.scope, `${kf}.scope`, (scope, sf) => {
      if (typeof scope !== 'string') invalid(sf, 'a string', scope);
    });
  });
  each(o.folders, `${f}.folders`, checkFolder);
}

function checkCollection(value: unknown, f: string): void {
  const o = object(value, f, COLLECTION_FIELDS);
  name(o.name, `${f}.name`);
  optional(o.description, `${f}.description`, 'string');
  optional(o.public, `${f}.public`, 'boolean');
  optional(o.creator, `${f}.creator`, 'string');
  optional(o.meta, `${f}.meta`, 'object');
  each(o.folders, `${f}.folders`, checkFolder);
}

// ------------------------------------------------------------------ creation

function fileData(file: SeedFile): Buffer | { path: string } {
  if (file.path !== undefined) return { path: file.path };
  if (file.base64 !== undefined) return Buffer.from(file.base64, 'base64');
  return Buffer.from(file.content ?? '', 'utf8');
}

async function seedFile(
  target: SeedTarget,
  itemId: string,
  file: SeedFile,
  creator: GirderUserDoc,
  itemPath: string,
  paths: Record<string, string>,
): Promise<void> {
  const doc = await target.createFile({
    itemId,
    name: file.name,
    data: fileData(file),
    mimeType: file.mimeType ?? 'application/octet-stream',
    creatorId: creator._id,
  });
  paths[`${itemPath}/${encodePathToken(file.name)}`] = doc._id;
}

async function seedItem(
  target: SeedTarget,
  folderId: string,
  item: SeedItem,
  creator: GirderUserDoc,
  folderPath: string,
  paths: Record<string, string>,
): Promise<void> {
  const { state } = target;
  const doc = state.createItem({
    folderId,
    name: item.name,
    description: item.description ?? '',
    creator,
  });
  if (item.meta) state.setMetadata(doc, item.meta, true);
  const itemPath = `${folderPath}/${encodePathToken(doc.name)}`;
  paths[itemPath] = doc._id;
  for (const file of item.files ?? []) await seedFile(target, doc._id, file, creator, itemPath, paths);
}

async function seedFolder(
  target: SeedTarget,
  parent: { type: 'user' | 'collection' | 'folder'; id: string; path: string },
  folder: SeedFolder,
  creator: GirderUserDoc,
  paths: Record<string, string>,
): Promise<void> {
  const { state } = target;
  const record = state.createFolder({
    parentType: parent.type,
    parentId: parent.id,
    name: folder.name,
    description: folder.description ?? '',
    public: folder.public,
    creator,
    reuseExisting: parent.type === 'user',
  });
  if (folder.public !== undefined) record.doc.public = folder.public;
  if (folder.meta) state.setMetadata(record.doc, folder.meta, true);
  const path = `${parent.path}/${encodePathToken(record.doc.name)}`;
  paths[path] = record.doc._id;
  const here = { type: 'folder' as const, id: record.doc._id, path };
  for (const sub of folder.folders ?? []) await seedFolder(target, here, sub, creator, paths);
  for (const item of folder.items ?? []) await seedItem(target, here.id, item, creator, path, paths);
  for (const file of folder.files ?? []) {
    await seedItem(target, here.id, { name: file.name, files: [file] }, creator, path, paths);
  }
}

/**
 * Internal: creates everything a seed describes (after checking all of it).
 *
 * @param target - The server's state and creation helpers.
 * @param value - The seed (parsed JSON).
 * @returns Credentials by login and ids by path.
 * @throws GirderTestServerError on an invalid seed (nothing is created then); Girder's validation
 *   errors (a taken login or collection name) stop the seed where they occur.
 */
export async function applySeed(target: SeedTarget, value: unknown): Promise<SeedResult> {
  const seed = checkSeed(value);
  const known = new Set([...target.state.users.values()].map((u) => u.doc.login));
  for (const u of seed.users ?? []) known.add(u.login.trim().toLowerCase());
  for (const [i, c] of (seed.collections ?? []).entries()) {
    if (c.creator !== undefined && !known.has(c.creator.trim().toLowerCase())) {
      invalid(`collections[${i}].creator`, 'the login of an existing or seeded user', c.creator);
    }
  }
  const result: SeedResult = { users: {}, paths: {} };
  const byLogin = new Map<string, GirderUserDoc>(
    [...target.state.users.values()].map((u): [string, GirderUserDoc] => [u.doc.login, u.doc]),
  );
  for (const u of seed.users ?? []) {
    const created = target.createUser(u);
    const apiKeys = (u.apiKeys ?? []).map((k) =>
      target.state.createApiKey(created.user._id, k.scope ?? null, { name: k.name ?? '' }),
    );
    byLogin.set(created.user.login, created.user);
    result.users[created.user.login] = {
      _id: created.user._id,
      login: created.user.login,
      password: u.password,
      token: created.token,
      apiKey: created.apiKey,
      apiKeys,
      privateFolderId: created.privateFolderId,
      publicFolderId: created.publicFolderId,
    };
    const path = `/user/${encodePathToken(created.user.login)}`;
    result.paths[path] = created.user._id;
    for (const folder of u.folders ?? []) {
      await seedFolder(
        target,
        { type: 'user', id: created.user._id, path },
        folder,
        created.user,
        result.paths,
      );
    }
  }
  for (const c of seed.collections ?? []) {
    const creator =
      c.creator === undefined ? target.admin : (byLogin.get(c.creator.trim().toLowerCase()) as GirderUserDoc);
    const record = target.state.createCollection({
      name: c.name,
      description: c.description ?? '',
      public: c.public ?? true,
      creator,
    });
    if (c.meta) target.state.setMetadata(record.doc, c.meta, true);
    const path = `/collection/${encodePathToken(record.doc.name)}`;
    result.paths[path] = record.doc._id;
    for (const folder of c.folders ?? []) {
      await seedFolder(
        target,
        { type: 'collection', id: record.doc._id, path },
        folder,
        creator,
        result.paths,
      );
    }
  }
  return result;
}
