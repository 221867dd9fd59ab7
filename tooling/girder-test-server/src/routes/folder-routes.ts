import { folderEntries, zipReply } from '../download.ts';
import { json, type Router, Scope } from '../http.ts';
import { AccessType, type FolderDoc } from '../models.ts';
import { isObjectId } from '../object-id.ts';
import { folderOut, fullAccessList } from '../output.ts';
import { pageOf } from '../params.ts';
import { readJsonObjectBody } from '../request-body.ts';
import { restError, validationError } from '../rest-error.ts';
import type { Controlled } from '../state.ts';
import { textMatches } from '../text-search.ts';

const PARENT_TYPES = ['folder', 'user', 'collection'] as const;

/**
 * girder/models/model_base.py `setAccessList`: each user entry needs `id` and a `level` of 0, 1 or
 * 2 (400 "Invalid access list" / "Invalid access level", field access). Group entries are checked
 * the same way and dropped: this server has no groups.
 */
function parseAccessList(access: Record<string, unknown>): Map<string, number> {
  const users = new Map<string, number>();
  for (const key of ['users', 'groups'] as const) {
    const entries = access[key] ?? [];
    if (!Array.isArray(entries)) throw validationError('Invalid access list', 'access');
    for (const entry of entries as Record<string, unknown>[]) {
      if (entry === null || typeof entry !== 'object' || !('id' in entry) || !('level' in entry)) {
        throw validationError('Invalid access list', 'access');
      }
      if (![0, 1, 2].includes(entry.level as number)) throw validationError('Invalid access level', 'access');
      if (typeof entry.id !== 'string' || !isObjectId(entry.id)) {
        throw validationError(`Invalid ObjectId: ${String(entry.id)}`, 'access');
      }
      if (key === 'users') users.set(entry.id.toLowerCase(), entry.level as number);
    }
  }
  return users;
}

/** The stored form of an access list (what `addFields={'access'}` shows). */
function accessListOf(access: Map<string, number>): {
  users: { id: string; level: number; flags: never[] }[];
  groups: never[];
} {
  return { users: [...access].map(([id, level]) => ({ id, level, flags: [] })), groups: [] };
}

function textMatchesDoc(doc: { name: string; description: string }, text: string): boolean {
  return textMatches([doc.name, doc.description], text);
}

/** Internal: /folder routes (girder/api/v1/folder.py). */
export function addFolderRoutes(router: Router): void {
  router.add({
    method: 'GET',
    segments: ['folder'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const { state, params } = ctx;
      const parentType = params.enum('parentType', PARENT_TYPES);
      const parentId = params.string('parentId');
      const text = params.string('text');
      const name = params.string('name');
      const paging = params.paging('lowerName');
      let found: FolderDoc[];
      if (parentType && parentId) {
        state.loadParent(parentType, parentId, ctx.user, AccessType.READ);
        found = [...state.folders.values()]
          .filter((f) => f.doc.parentId === parentId.toLowerCase() && f.doc.parentCollection === parentType)
          .filter((f) => state.level(f, ctx.user) >= AccessType.READ)
          .filter((f) => name === undefined || f.doc.name === name)
          .filter((f) => !text || textMatchesDoc(f.doc, text))
          .map((f) => folderOut(state, f, ctx.user));
      } else if (text) {
        found = [...state.folders.values()]
          .filter((f) => state.level(f, ctx.user) >= AccessType.READ && textMatchesDoc(f.doc, text))
          .map((f) => folderOut(state, f, ctx.user));
      } else {
        throw restError('Invalid search mode.');
      }
      const { page, total } = pageOf(found, paging);
      return json(page, { 'Girder-Total-Count': total });
    },
  });

  router.add({
    method: 'GET',
    segments: ['folder', ':id'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) =>
      json(
        folderOut(
          ctx.state,
          ctx.state.loadFolder(ctx.path.id as string, ctx.user, AccessType.READ),
          ctx.user,
        ),
      ),
  });

  router.add({
    method: 'POST',
    segments: ['folder'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: (ctx) => {
      const { state, params } = ctx;
      const parentType = params.enum('parentType', PARENT_TYPES, {
        default: 'folder',
      }) as (typeof PARENT_TYPES)[number];
      const parentId = params.string('parentId', { required: true });
      const name = params.string('name', { required: true, strip: true });
      const description = params.string('description', { strip: true }) ?? '';
      const reuseExisting = params.bool('reuseExisting', false);
      const isPublic = params.bool('public');
      const metadata = params.jsonObject('metadata');
      const parent = state.loadParent(parentType, parentId, ctx.user, AccessType.WRITE);
      const folder = state.createFolder({
        parentType,
        parentId: parent.doc._id,
        name,
        description,
        public: isPublic,
        creator: ctx.user,
        reuseExisting,
      });
      if (metadata) state.setMetadata(folder.doc, metadata, false);
      return json(folderOut(state, folder, ctx.user));
    },
  });

  router.add({
    method: 'PUT',
    segments: ['folder', ':id', 'metadata'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const folder = ctx.state.loadFolder(ctx.path.id as string, ctx.user, AccessType.WRITE);
      const metadata = await readJsonObjectBody(ctx.req, 'metadata');
      ctx.state.setMetadata(folder.doc, metadata, ctx.params.bool('allowNull', false));
      return json(folderOut(ctx.state, folder, ctx.user));
    },
  });

  router.add({
    method: 'GET',
    segments: ['folder', ':id', 'access'],
    access: 'user',
    scopes: [Scope.DATA_OWN],
    handler: (ctx) => {
      const folder = ctx.state.loadFolder(ctx.path.id as string, ctx.user, AccessType.ADMIN);
      return json(fullAccessList(ctx.state, folder.access));
    },
  });

  router.add({
    method: 'PUT',
    segments: ['folder', ':id', 'access'],
    access: 'user',
    scopes: [Scope.DATA_OWN],
    handler: (ctx) => {
      const { state, params } = ctx;
      const folder = state.loadFolder(ctx.path.id as string, ctx.user, AccessType.ADMIN);
      const access = params.jsonObject('access');
      if (access === undefined) throw restError('Parameter "access" is required.');
      const isPublic = params.bool('public');
      const recurse = params.bool('recurse', false);
      const users = parseAccessList(access);
      const apply = (target: Controlled<FolderDoc>): void => {
        if (isPublic !== undefined) target.doc.public = isPublic;
        target.access = new Map(users);
      };
      const subfolders = (id: string): Controlled<FolderDoc>[] =>
        [...state.folders.values()].filter(
          (f) =>
            f.doc.parentCollection === 'folder' &&
            f.doc.parentId === id &&
            state.level(f, ctx.user) >= AccessType.ADMIN,
        );
      const visit = (target: Controlled<FolderDoc>): void => {
        // Children are chosen with the caller's rights before this folder's list changes.
        const children = recurse ? subfolders(target.doc._id) : [];
        apply(target);
        for (const child of children) visit(child);
      };
      visit(folder);
      return json({ ...folderOut(state, folder, ctx.user), access: accessListOf(folder.access) });
    },
  });

  router.add({
    method: 'GET',
    segments: ['folder', ':id', 'download'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const folder = ctx.state.loadFolder(ctx.path.id as string, ctx.user, AccessType.READ);
      return zipReply(folder.doc.name, folderEntries(ctx, folder.doc._id, folder.doc.name));
    },
  });
}
