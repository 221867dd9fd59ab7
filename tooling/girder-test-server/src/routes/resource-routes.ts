import { json, type RouteContext, type Router, Scope } from '../http.ts';
import { filtered, loadResource, lookUpPath, type ResourceType, resourcePath } from '../resource-path.ts';
import { restError } from '../rest-error.ts';
import { prefixMatches, textMatches } from '../text-search.ts';

/**
 * girder/utility `parseTimestamp` (dateutil): a date with an offset is converted to UTC, one
 * without is taken as UTC. Girder answers an unparseable value with a 500; here it is a 400.
 */
function parseTimestamp(value: string, field: string): Date {
  const text = value.trim().replace(' ', 'T');
  const hasZone = /(?:Z|[+-]\d\d:?\d\d)$/i.test(text);
  const date = new Date(hasZone || !text.includes('T') ? text : `${text}Z`);
  if (Number.isNaN(date.getTime())) throw restError(`Invalid value for ${field}: ${value}.`);
  return date;
}

/** A date as Python's `isoformat()` writes a UTC datetime (no fraction when it is zero). */
function pythonIsoDate(date: Date): string {
  const iso = date.toISOString();
  return date.getUTCMilliseconds() === 0 ? iso.replace(/\.\d{3}Z$/, '+00:00') : iso.replace('Z', '000+00:00');
}

const TYPES: readonly ResourceType[] = ['user', 'collection', 'folder', 'item', 'file'];

/** The types `GET /resource/search` looks in (resource.py `allowedSearchTypes`; no groups here). */
const SEARCH_TYPES = ['collection', 'file', 'folder', 'group', 'item', 'user'] as const;

/** The fields the searches read. */
interface Searchable {
  _id: string;
  name?: string;
  description?: string;
  login?: string;
  firstName?: string;
  lastName?: string;
}

/**
 * girder/utility/search.py `_commonSearchModeHandler`: for each asked type Girder knows, the
 * readable documents matching `q` (text or prefix mode), paged per type, filtered for the caller.
 */
function search(
  ctx: RouteContext,
  q: string,
  mode: 'text' | 'prefix',
  types: string[],
  level: number,
  paging: { limit: number; offset: number },
): Record<string, unknown[]> {
  const { state, user } = ctx;
  const matches = (doc: Searchable): boolean =>
    mode === 'prefix'
      ? prefixMatches(doc, q)
      : textMatches(
          doc.login === undefined
            ? [doc.name ?? '', doc.description ?? '']
            : [doc.login, doc.firstName ?? '', doc.lastName ?? ''],
          q,
        );
  const candidates = (type: string): Searchable[] => {
    switch (type) {
      case 'user':
        return [...state.users.values()].filter((u) => state.userLevel(u, user) >= level).map((u) => u.doc);
      case 'collection':
        return [...state.collections.values()].filter((c) => state.level(c, user) >= level).map((c) => c.doc);
      case 'folder':
        return [...state.folders.values()].filter((f) => state.level(f, user) >= level).map((f) => f.doc);
      case 'item':
        return [...state.items.values()].filter((i) => {
          const folder = state.folders.get(i.folderId);
          return folder !== undefined && state.level(folder, user) >= level;
        });
      case 'file':
        return [...state.files.values()].filter((f) => {
          const item = f.itemId === null ? undefined : state.items.get(f.itemId);
          const folder = item === undefined ? undefined : state.folders.get(item.folderId);
          return folder !== undefined && state.level(folder, user) >= level;
        });
      default:
        return [];
    }
  };
  const results: Record<string, unknown[]> = {};
  for (const type of types) {
    if (!(SEARCH_TYPES as readonly string[]).includes(type)) continue;
    const found = candidates(type).filter((doc) => matches(doc));
    const page =
      paging.limit > 0
        ? found.slice(paging.offset, paging.offset + paging.limit)
        : found.slice(paging.offset);
    results[type] =
      type === 'group' ? [] : page.map((doc) => filtered(state, type as ResourceType, doc._id, user));
  }
  return results;
}

/** Internal: /resource routes (girder/api/v1/resource.py): search, lookup, path, timestamp. */
export function addResourceRoutes(router: Router): void {
  router.add({
    method: 'GET',
    segments: ['resource', 'search'],
    access: 'public',
    scopes: [],
    handler: (ctx) => {
      const { params } = ctx;
      const q = params.string('q', { required: true });
      const mode = params.string('mode') ?? 'text';
      const types = params.json('types');
      if (types === undefined) throw restError('Parameter "types" is required.');
      if (!Array.isArray(types)) throw restError('Parameter types must be a JSON array.');
      const level = params.int('level', { default: 0 }) as number;
      const paging = params.paging('');
      if (![-1, 0, 1, 2, 100].includes(level)) throw new Error(`Invalid AccessType: ${level}.`);
      if (mode !== 'text' && mode !== 'prefix') throw restError(`Search mode handler '${mode}' not found.`);
      const limit = params.has('limit') ? paging.limit : 10;
      return json(search(ctx, q, mode, types as string[], level, { limit, offset: paging.offset }));
    },
  });

  router.add({
    method: 'GET',
    segments: ['resource', 'lookup'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const path = ctx.params.string('path', { required: true });
      return json(lookUpPath(ctx.state, path, ctx.user).document);
    },
  });

  router.add({
    method: 'PUT',
    segments: ['resource', ':id', 'timestamp'],
    access: 'admin',
    scopes: [],
    handler: (ctx) => {
      const { state, params } = ctx;
      const type = params.string('type', { required: true });
      if (!(TYPES as readonly string[]).includes(type)) throw restError('Invalid resources format.');
      const id = ctx.path.id as string;
      // Only site admins get here, so only existence is checked (model.load(exc=True)).
      const target: { created?: string; updated?: string } =
        type === 'item'
          ? state.load('item', id)
          : type === 'file'
            ? state.load('file', id)
            : type === 'user'
              ? state.load('user', id).doc
              : type === 'collection'
                ? state.load('collection', id).doc
                : state.load('folder', id).doc;
      for (const field of ['created', 'updated'] as const) {
        const value = params.string(field);
        if (value === undefined) continue;
        if (!(field in target)) throw restError(`Resource has no "${field}" field.`);
        target[field] = pythonIsoDate(parseTimestamp(value, field));
      }
      return json(filtered(state, type as ResourceType, id, ctx.user));
    },
  });

  router.add({
    method: 'GET',
    segments: ['resource', ':id', 'path'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const type = ctx.params.string('type', { required: true });
      // Girder asks ModelImporter for a model of that name: anything it cannot load is this error.
      if (!(TYPES as readonly string[]).includes(type)) throw restError('Invalid resources format.');
      const doc = loadResource(ctx.state, type as ResourceType, ctx.path.id as string, ctx.user);
      // Only a 400 here tells girder-client's CLI (`--parent-type auto`) to try the next type.
      if (doc === undefined) throw restError('Invalid resource id.');
      return json(resourcePath(ctx.state, type as ResourceType, doc, ctx.user));
    },
  });
}
