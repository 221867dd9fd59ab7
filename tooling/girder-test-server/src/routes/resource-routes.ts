import { json, type Router, Scope } from '../http.ts';
import { filtered, loadResource, lookUpPath, type ResourceType, resourcePath } from '../resource-path.ts';
import { restError } from '../rest-error.ts';

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

/** Internal: /resource/lookup and /resource/{id}/path (girder/api/v1/resource.py). */
export function addResourceRoutes(router: Router): void {
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
