import { fileDownload, itemEntries, zipReply } from '../download.ts';
import { json, type Router, Scope } from '../http.ts';
import { AccessType, type ItemDoc } from '../models.ts';
import { folderOut } from '../output.ts';
import { pageOf } from '../params.ts';
import { readJsonObjectBody } from '../request-body.ts';
import { filtered, loadResource } from '../resource-path.ts';
import { restError } from '../rest-error.ts';
import { textMatches } from '../text-search.ts';

function textMatchesDoc(doc: { name: string; description: string }, text: string): boolean {
  return textMatches([doc.name, doc.description], text);
}

function itemOut(item: ItemDoc): ItemDoc {
  return { ...item, meta: { ...item.meta } };
}

/** Internal: /item routes (girder/api/v1/item.py). */
export function addItemRoutes(router: Router): void {
  router.add({
    method: 'GET',
    segments: ['item'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const { state, params } = ctx;
      const folderId = params.string('folderId');
      const text = params.string('text');
      const name = params.string('name');
      const paging = params.paging('lowerName');
      let found: ItemDoc[];
      if (folderId) {
        const folder = state.loadFolder(folderId, ctx.user, AccessType.READ);
        found = [...state.items.values()]
          .filter((i) => i.folderId === folder.doc._id)
          .filter((i) => name === undefined || i.name === name)
          .filter((i) => !text || textMatchesDoc(i, text));
      } else if (text) {
        found = [...state.items.values()].filter((i) => {
          const folder = state.folders.get(i.folderId);
          return (
            folder !== undefined &&
            state.level(folder, ctx.user) >= AccessType.READ &&
            textMatchesDoc(i, text)
          );
        });
      } else {
        throw restError('Invalid search mode.');
      }
      const { page, total } = pageOf(found.map(itemOut), paging);
      return json(page, { 'Girder-Total-Count': total });
    },
  });

  router.add({
    method: 'GET',
    segments: ['item', ':id'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => json(itemOut(ctx.state.loadItem(ctx.path.id as string, ctx.user, AccessType.READ))),
  });

  router.add({
    method: 'POST',
    segments: ['item'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: (ctx) => {
      const { state, params } = ctx;
      const folderId = params.string('folderId', { required: true });
      const name = params.string('name', { required: true, strip: true });
      const description = params.string('description', { strip: true }) ?? '';
      const reuseExisting = params.bool('reuseExisting', false);
      const metadata = params.jsonObject('metadata');
      const folder = state.loadFolder(folderId, ctx.user, AccessType.WRITE);
      const item = state.createItem({
        folderId: folder.doc._id,
        name,
        description,
        creator: ctx.user,
        reuseExisting,
      });
      if (metadata) state.setMetadata(item, metadata, false);
      return json(itemOut(item));
    },
  });

  router.add({
    method: 'GET',
    segments: ['item', ':id', 'files'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const item = ctx.state.loadItem(ctx.path.id as string, ctx.user, AccessType.READ);
      const { page, total } = pageOf(
        ctx.state.itemFiles(item._id).map((f) => ({ ...f })),
        ctx.params.paging('name'),
      );
      return json(page, { 'Girder-Total-Count': total });
    },
  });

  router.add({
    method: 'PUT',
    segments: ['item', ':id', 'metadata'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const item = ctx.state.loadItem(ctx.path.id as string, ctx.user, AccessType.WRITE);
      const metadata = await readJsonObjectBody(ctx.req, 'metadata');
      ctx.state.setMetadata(item, metadata, ctx.params.bool('allowNull', false));
      return json(itemOut(item));
    },
  });

  router.add({
    method: 'GET',
    segments: ['item', ':id', 'rootpath'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      // girder/models/item.py `parentsToRoot`: the base parent, then each folder down to the item's.
      const { state } = ctx;
      const item = state.loadItem(ctx.path.id as string, ctx.user, AccessType.READ);
      const path: { type: string; object: unknown }[] = [];
      let folder = state.loadFolder(item.folderId, ctx.user, AccessType.READ);
      path.unshift({ type: 'folder', object: folderOut(state, folder, ctx.user) });
      while (folder.doc.parentCollection === 'folder') {
        folder = state.loadFolder(folder.doc.parentId, ctx.user, AccessType.READ);
        path.unshift({ type: 'folder', object: folderOut(state, folder, ctx.user) });
      }
      const rootType = folder.doc.parentCollection;
      const root = loadResource(state, rootType, folder.doc.parentId, ctx.user) as { _id: string };
      path.unshift({ type: rootType, object: filtered(state, rootType, root._id, ctx.user) });
      return json(path);
    },
  });

  router.add({
    method: 'GET',
    segments: ['item', ':id', 'download'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const { state, params } = ctx;
      const item = state.loadItem(ctx.path.id as string, ctx.user, AccessType.READ);
      const format = params.string('format');
      if (format !== undefined && format !== '' && format !== 'zip')
        throw restError(`Unsupported format: ${format}.`);
      const files = state.itemFiles(item._id);
      if (files.length === 1 && format !== 'zip') {
        return fileDownload(
          ctx,
          files[0] as (typeof files)[number],
          params.int('offset', { default: 0 }) as number,
          undefined,
        );
      }
      return zipReply(item.name, itemEntries(state, item, item.name, false));
    },
  });
}
