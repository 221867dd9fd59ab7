import { rm } from 'node:fs/promises';
import { fileDownload } from '../download.ts';
import { json, type RouteContext, type Router, Scope } from '../http.ts';
import { AccessType } from '../models.ts';
import { isFormContentType } from '../request-body.ts';
import { accessError, restError } from '../rest-error.ts';
import { cancelUpload, createUpload, finalizeUpload, handleChunk, requestOffset } from '../upload.ts';

/** Whether the request carries a body that is a chunk (not form parameters). */
function chunkBody(ctx: RouteContext): AsyncIterable<unknown> | null {
  if (ctx.bodyConsumed || isFormContentType(ctx.req.headers['content-type'])) return null;
  return ctx.req;
}

/** Internal: /file routes (girder/api/v1/file.py). */
export function addFileRoutes(router: Router): void {
  router.add({
    method: 'POST',
    segments: ['file'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const { state, params } = ctx;
      const user = ctx.user as NonNullable<typeof ctx.user>;
      const parentType = params.enum('parentType', ['folder', 'item'] as const, { required: true }) as
        | 'folder'
        | 'item';
      const parentId = params.string('parentId', { required: true });
      const name = params.string('name', { required: true });
      const size = params.int('size');
      const mimeType = params.string('mimeType') ?? 'application/octet-stream';
      const reference = params.string('reference');
      const parent =
        parentType === 'folder'
          ? state.loadFolder(parentId, user, AccessType.WRITE).doc
          : state.loadItem(parentId, user, AccessType.WRITE);
      if (size === undefined) throw restError('Parameter "size" is required.');
      const record = await createUpload(state, {
        user,
        name,
        size,
        mimeType,
        parentType,
        parentId: parent._id,
        reference,
      });
      if (record.doc.size === 0) return json(await finalizeUpload(state, record));
      const contentLength = Number(ctx.req.headers['content-length'] ?? 0);
      const body = chunkBody(ctx);
      if (body !== null && contentLength > 0) return json(await handleChunk(state, record, user, 0, body));
      return json({ ...record.doc });
    },
  });

  router.add({
    method: 'POST',
    segments: ['file', 'chunk'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const { state, params } = ctx;
      if ((ctx.req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
        throw restError(
          'Multipart encoding is no longer supported. Send the chunk in the request body, and other parameters in the query string.',
        );
      }
      const record = state.load('upload', params.string('uploadId', { required: true }));
      const offset = params.int('offset', { default: 0 }) as number;
      return json(
        await handleChunk(state, record, ctx.user as NonNullable<typeof ctx.user>, offset, chunkBody(ctx)),
      );
    },
  });

  router.add({
    method: 'GET',
    segments: ['file', 'offset'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const record = ctx.state.load('upload', ctx.params.string('uploadId', { required: true }));
      return json({ offset: await requestOffset(record) });
    },
  });

  router.add({
    method: 'DELETE',
    segments: ['file', 'upload', ':id'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const record = ctx.state.load('upload', ctx.path.id as string);
      const user = ctx.user as NonNullable<typeof ctx.user>;
      if (record.doc.userId !== user._id && !user.admin)
        throw accessError('You did not initiate this upload.');
      await cancelUpload(ctx.state, record);
      return json({ message: 'Upload canceled.' });
    },
  });

  router.add({
    method: 'GET',
    segments: ['file', ':id'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: (ctx) =>
      json({ ...ctx.state.loadFile(ctx.path.id as string, ctx.user, AccessType.READ, ctx.token) }),
  });

  const download = (ctx: RouteContext) => {
    const file = ctx.state.loadFile(ctx.path.id as string, ctx.user, AccessType.READ, ctx.token);
    return fileDownload(
      ctx,
      file,
      ctx.params.int('offset', { default: 0 }) as number,
      ctx.params.int('endByte'),
    );
  };
  router.add({
    method: 'GET',
    segments: ['file', ':id', 'download'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: download,
  });
  router.add({
    method: 'GET',
    segments: ['file', ':id', 'download', ':name'],
    access: 'public',
    scopes: [Scope.DATA_READ],
    handler: download,
  });

  router.add({
    method: 'DELETE',
    segments: ['file', ':id'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const { state } = ctx;
      const file = state.loadFile(ctx.path.id as string, ctx.user, AccessType.WRITE, ctx.token);
      const item = file.itemId === null ? undefined : state.items.get(file.itemId);
      if (item) state.propagateSizeChange(item, -file.size);
      state.files.delete(file._id);
      state.fileCrc32.delete(file._id);
      await rm(state.filePath(file._id), { force: true });
      return json(null);
    },
  });

  router.add({
    method: 'PUT',
    segments: ['file', ':id'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: (ctx) => {
      const file = ctx.state.loadFile(ctx.path.id as string, ctx.user, AccessType.WRITE, ctx.token);
      const name = ctx.params.string('name', { strip: true });
      const mimeType = ctx.params.string('mimeType', { strip: true });
      if (name !== undefined) file.name = name;
      if (mimeType !== undefined) file.mimeType = mimeType;
      return json({ ...file });
    },
  });

  router.add({
    method: 'PUT',
    segments: ['file', ':id', 'contents'],
    access: 'user',
    scopes: [Scope.DATA_WRITE],
    handler: async (ctx) => {
      const { state } = ctx;
      const user = ctx.user as NonNullable<typeof ctx.user>;
      const file = state.loadFile(ctx.path.id as string, user, AccessType.WRITE, ctx.token);
      const size = ctx.params.int('size', { required: true });
      const record = await createUpload(state, {
        user,
        name: file.name,
        size,
        mimeType: file.mimeType,
        parentType: null,
        parentId: null,
        fileId: file._id,
        reference: ctx.params.string('reference'),
      });
      if (size === 0) return json(await finalizeUpload(state, record));
      return json({ ...record.doc });
    },
  });
}
