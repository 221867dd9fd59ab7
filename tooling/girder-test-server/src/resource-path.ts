import { AccessType, type GirderUserDoc } from './models.ts';
import { collectionOut, folderOut, userOut } from './output.ts';
import { RestError, restError, validationError } from './rest-error.ts';
import type { State } from './state.ts';

/** Internal: the resource types that have a place in the data hierarchy. */
export type ResourceType = 'user' | 'collection' | 'folder' | 'item' | 'file';

/**
 * Internal: girder/utility/path.py `encode`: a name as one path token ("/" → "\-", "\" → "\\").
 *
 * @param token - A resource name.
 * @returns The token as it appears in a Girder path.
 */
export function encodePathToken(token: string): string {
  return token.replaceAll('\\', '\\\\').replaceAll('/', '\\-');
}

/** girder/utility/path.py `decode`. */
function decode(token: string): string {
  return token.replaceAll('\\-', '/').replaceAll('\\\\', '\\');
}

/** girder/utility/path.py `split`: splits on "/" not escaped by an odd number of backslashes. */
function split(path: string): string[] {
  const chunks = path.split('/');
  const processed = [chunks[0] as string];
  for (const chunk of chunks.slice(1)) {
    const last = processed[processed.length - 1] as string;
    if (/(?<!\\)(?:\\\\)*\\$/.test(last)) processed[processed.length - 1] = `${last}/${chunk}`;
    else processed.push(chunk);
  }
  return processed.map(decode);
}

/**
 * Internal: loads a resource of `type` for a user as girder/api/v1/resource.py `_getResource`
 * (`model.load(id, user, level=READ)`, exc=False): a malformed id is "Invalid ObjectId" (400,
 * field id), a missing one `undefined`, no read access 401/403.
 */
export function loadResource(
  state: State,
  type: ResourceType,
  id: string,
  user: GirderUserDoc | undefined,
): { _id: string } | undefined {
  try {
    switch (type) {
      case 'user': {
        const record = state.load('user', id);
        if (state.userLevel(record, user) < AccessType.READ) {
          throw new RestError(
            'access',
            `Read access denied for user ${record.doc._id} (user ${user?._id ?? 'None'}).`,
          );
        }
        return record.doc;
      }
      case 'collection':
      case 'folder':
        return state.loadParent(type, id, user, AccessType.READ).doc;
      case 'item':
        return state.loadItem(id, user, AccessType.READ);
      case 'file':
        return state.loadFile(id, user, AccessType.READ);
    }
  } catch (error) {
    if (error instanceof RestError && error.message.startsWith('No such ')) return undefined;
    throw error;
  }
}

/**
 * Internal: girder/utility/path.py `getResourcePath`: "/<root type>/<name>/…/<name>", names
 * encoded, users by login; every parent is loaded with read access for `user`.
 */
export function resourcePath(
  state: State,
  type: ResourceType,
  doc: { _id: string },
  user: GirderUserDoc | undefined,
): string {
  const names: string[] = [];
  let currentType: ResourceType = type;
  let current = doc as { _id: string } & Record<string, unknown>;
  for (;;) {
    const named = current as { name?: string; login?: string };
    names.unshift((currentType === 'user' ? named.login : named.name) ?? '');
    let parentType: ResourceType;
    let parentId: string;
    if (currentType === 'file') {
      parentType = 'item';
      parentId = current.itemId as string;
    } else if (currentType === 'item') {
      parentType = 'folder';
      parentId = current.folderId as string;
    } else if (currentType === 'folder') {
      parentType = current.parentCollection as ResourceType;
      parentId = current.parentId as string;
    } else {
      break;
    }
    const parent = loadResource(state, parentType, parentId, user);
    if (parent === undefined) throw restError(`No such ${parentType}: ${parentId}`);
    current = parent as { _id: string } & Record<string, unknown>;
    currentType = parentType;
  }
  names.unshift(currentType);
  return `/${names.map(encodePathToken).join('/')}`;
}

/**
 * Internal: girder/utility/path.py `lookUpPath`: the document at a path such as
 * "/collection/Data/inputs/a.txt", filtered for `user`. An unknown root is "User not found: x" or
 * "Collection not found: x"; any other miss or missing access is "Path not found: <path>" (400,
 * so that no one learns what exists without access).
 */
export function lookUpPath(
  state: State,
  path: string,
  user: GirderUserDoc | undefined,
): { type: ResourceType; document: unknown } {
  const stripped = path.replace(/^\/+/, '');
  const tokens = split(stripped);
  const root = tokens[0];
  if (root !== 'user' && root !== 'collection') throw validationError('Invalid path format');
  if (tokens.length < 2) {
    // Girder indexes pathArray[1] unchecked: an IndexError, answered as an internal error.
    throw new Error('list index out of range');
  }
  const name = tokens[1] as string;
  let type: ResourceType = root;
  let document: { _id: string } | undefined;
  if (root === 'user') {
    document = [...state.users.values()].find((u) => u.doc.login === name)?.doc;
    if (document === undefined) throw validationError(`User not found: ${name}`);
  } else {
    document = [...state.collections.values()].find((c) => c.doc.name === name)?.doc;
    if (document === undefined) throw validationError(`Collection not found: ${name}`);
  }
  const notFound = (): RestError => validationError(`Path not found: ${stripped}`);
  try {
    if (loadResource(state, type, document._id, user) === undefined) throw notFound();
    for (const token of tokens.slice(2)) {
      const child = childByName(state, type, document._id, token);
      if (child === undefined) throw notFound();
      if (loadResource(state, child.type, child.doc._id, user) === undefined) throw notFound();
      type = child.type;
      document = child.doc;
    }
  } catch (error) {
    if (error instanceof RestError && (error.type === 'access' || error.type === 'validation')) {
      throw notFound();
    }
    throw error;
  }
  return { type, document: filtered(state, type, document._id, user) };
}

/** girder/utility/path.py `lookUpToken`: a folder first, then an item (in a folder), then a file (in an item). */
function childByName(
  state: State,
  parentType: ResourceType,
  parentId: string,
  name: string,
): { type: ResourceType; doc: { _id: string } } | undefined {
  if (parentType === 'user' || parentType === 'collection' || parentType === 'folder') {
    for (const folder of state.folders.values()) {
      if (
        folder.doc.parentId === parentId &&
        folder.doc.parentCollection === parentType &&
        folder.doc.name === name
      ) {
        return { type: 'folder', doc: folder.doc };
      }
    }
  }
  if (parentType === 'folder') {
    for (const item of state.items.values()) {
      if (item.folderId === parentId && item.name === name) return { type: 'item', doc: item };
    }
  }
  if (parentType === 'item') {
    for (const file of state.files.values()) {
      if (file.itemId === parentId && file.name === name) return { type: 'file', doc: file };
    }
  }
  return undefined;
}

/** Internal: a hierarchy document as Girder's model filter returns it to `user`. */
export function filtered(
  state: State,
  type: ResourceType,
  id: string,
  user: GirderUserDoc | undefined,
): unknown {
  switch (type) {
    case 'user':
      return userOut(state, state.load('user', id), user);
    case 'collection':
      return collectionOut(state, state.load('collection', id), user);
    case 'folder':
      return folderOut(state, state.load('folder', id), user);
    case 'item':
      return structuredClone(state.load('item', id));
    case 'file':
      return structuredClone(state.load('file', id));
  }
}
