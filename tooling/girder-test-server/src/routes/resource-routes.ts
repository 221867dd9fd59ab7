import { json, type Router, Scope } from '../http.ts';
import { loadResource, lookUpPath, type ResourceType, resourcePath } from '../resource-path.ts';
import { restError } from '../rest-error.ts';

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
