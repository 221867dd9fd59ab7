import { json, type Router, Scope } from '../http.ts';
import { AccessType, girderDate } from '../models.ts';
import { collectionOut, fullAccessList } from '../output.ts';
import { pageOf } from '../params.ts';
import { readJsonObjectBody } from '../request-body.ts';
import { accessError } from '../rest-error.ts';
import { textMatches } from '../text-search.ts';

function textMatchesDoc(doc: { name: string; description: string }, text: string): boolean {
  return textMatches([doc.name, doc.description], text);
}

/** Internal: /collection routes (girder/api/v1/collection.py). */
export function addCollectionRoutes(router: Router): void {
  router.add({
    method: 'GET',
    segments: ['collection'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const { state, params } = ctx;
      const text = params.string('text');
      const paging = params.paging('name');
      const found = [...state.collections.values()]
        .filter((c) => state.level(c, ctx.user) >= AccessType.READ)
        .filter((c) => text === undefined || textMatchesDoc(c.doc, text))
        .map((c) => collectionOut(state, c, ctx.user));
      const { page, total } = pageOf(found, paging);
      return json(page, { 'Girder-Total-Count': total });
    },
  });

  router.add({
    method: 'POST',
    segments: ['collection'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: (ctx) => {
      const { state, params } = ctx;
      const user = ctx.user as NonNullable<typeof ctx.user>;
      const name = params.string('name', { required: true });
      const description = params.string('description') ?? '';
      const isPublic = params.bool('public', false);
      // The default collection creation policy: only site admins may create collections.
      if (!user.admin) throw accessError('You are not authorized to create collections.');
      const record = state.createCollection({ name, description, public: isPublic, creator: user });
      return json(collectionOut(state, record, user));
    },
  });

  router.add({
    method: 'GET',
    segments: ['collection', ':id'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const record = ctx.state.loadParent('collection', ctx.path.id as string, ctx.user, AccessType.READ);
      return json(collectionOut(ctx.state, ctx.state.load('collection', record.doc._id), ctx.user));
    },
  });

  router.add({
    method: 'PUT',
    segments: ['collection', ':id'],
    access: 'user',
    scopes: [Scope.DATA_READ],
    handler: (ctx) => {
      const { state, params } = ctx;
      state.loadParent('collection', ctx.path.id as string, ctx.user, AccessType.WRITE);
      const record = state.load('collection', ctx.path.id as string);
      const name = params.string('name', { strip: true });
      const description = params.string('description', { strip: true });
      const updated = { ...record.doc };
      if (name !== undefined) updated.name = name;
      if (description !== undefined) updated.description = description;
      state.validateCollection(updated);
      record.doc.name = updated.name;
      record.doc.description = updated.description;
      record.doc.updated = girderDate();
      return json(collectionOut(state, record, ctx.user));
    },
  });

  router.add({
    method: 'DELETE',
    segments: ['collection', ':id'],
    access: 'user',
    scopes: [Scope.DATA_OWN],
    handler: async (ctx) => {
      const { state } = ctx;
      state.loadParent('collection', ctx.path.id as string, ctx.user, AccessType.ADMIN);
      const record = state.load('collection', ctx.path.id as string);
      // Girder queues the deletion on its local worker and answers at once; here it is done
      // before the answer, so a following GET already sees it gone.
      await state.deleteCollection(record.doc._id);
      return json({ message: `Marked collection ${record.doc.name} for deletion.` });
    },
  });

  router.add({
    method: 'GET',
    segments: ['collection', ':id', 'access'],
    access: 'user',
    scopes: [Scope.DATA_OWN],
    handler: (ctx) => {
      ctx.state.loadParent('collection', ctx.path.id as string, ctx.user, AccessType.ADMIN);
      return json(fullAccessList(ctx.state, ctx.state.load('collection', ctx.path.id as string).access));
    },
  });

  router.add({
    method: 'PUT',
    segments: ['collection', ':id', 'metadata'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const { state } = ctx;
      state.loadParent('collection', ctx.path.id as string, ctx.user, AccessType.WRITE);
      const record = state.load('collection', ctx.path.id as string);
      const metadata = await readJsonObjectBody(ctx.req, 'metadata');
      state.setMetadata(record.doc, metadata, ctx.params.bool('allowNull', false));
      return json(collectionOut(state, record, ctx.user));
    },
  });
}
