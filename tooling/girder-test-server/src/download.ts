import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Reply, RouteContext } from './http.ts';
import type { FileDoc, ItemDoc } from './models.ts';
import { contentDisposition } from './output.ts';
import { firstRange } from './range.ts';
import { restError } from './rest-error.ts';
import type { State } from './state.ts';
import type { ZipEntry } from './zip-writer.ts';
import { zipStream } from './zip-writer.ts';

/**
 * Internal: a file download as Girder's filesystem assetstore answers it: the Range header wins
 * over `offset`/`endByte` (end exclusive), 206 with Content-Range for partial answers, the body
 * streamed from disk.
 */
export function fileDownload(
  ctx: RouteContext,
  file: FileDoc,
  offsetParam: number,
  endByteParam: number | undefined,
): Reply {
  const disposition = ctx.params.enum('contentDisposition', ['inline', 'attachment'] as const, {
    default: 'attachment',
  });
  const rangeHeader = ctx.req.headers.range;
  const range = firstRange(rangeHeader, file.size);
  let offset = offsetParam;
  let endByte = endByteParam;
  if (range) [offset, endByte] = range;
  if (endByte === undefined || endByte > file.size) endByte = file.size;
  const length = Math.max(endByte - offset, 0);
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes',
    'Content-Type': file.mimeType || 'application/octet-stream',
    'Content-Disposition': contentDisposition(file.name, disposition),
    'Content-Length': length,
  };
  let status = 200;
  if ((offset || endByte < file.size || rangeHeader) && file.size) {
    headers['Content-Range'] = `bytes ${offset}-${endByte - 1}/${file.size}`;
    status = 206;
  }
  const body =
    length === 0
      ? Readable.from([])
      : createReadStream(ctx.state.filePath(file._id), {
          start: offset,
          end: endByte - 1,
          highWaterMark: 256 * 1024,
        });
  return { kind: 'stream', status, headers, body };
}

/** Internal: the zip entries of an item, under `path` (girder Item.fileList with subpath). */
export function itemEntries(state: State, item: ItemDoc, path: string, subpath: boolean): ZipEntry[] {
  const files = state.itemFiles(item._id);
  let base = path;
  if (subpath && (files.length !== 1 || files[0]?.name !== item.name)) base = join(path, item.name);
  return files.map((file) => ({
    name: join(base, file.name),
    path: state.filePath(file._id),
    size: file.size,
    crc32: state.fileCrc32.get(file._id) ?? 0,
  }));
}

/** Internal: the zip entries of a folder's readable subtree (girder Folder.fileList). */
export function folderEntries(ctx: RouteContext, folderId: string, path: string): ZipEntry[] {
  const { state } = ctx;
  const entries: ZipEntry[] = [];
  for (const sub of state.folders.values()) {
    if (
      sub.doc.parentCollection === 'folder' &&
      sub.doc.parentId === folderId &&
      state.level(sub, ctx.user) >= 0
    ) {
      entries.push(...folderEntries(ctx, sub.doc._id, join(path, sub.doc.name)));
    }
  }
  for (const item of state.items.values()) {
    if (item.folderId === folderId) entries.push(...itemEntries(state, item, path, true));
  }
  return entries;
}

/** Internal: a zip download reply. */
export function zipReply(name: string, entries: ZipEntry[]): Reply {
  if (entries.length > 0xffff) throw restError('Too many files for a zip without ZIP64.');
  return {
    kind: 'stream',
    status: 200,
    headers: { 'Content-Type': 'application/zip', 'Content-Disposition': contentDisposition(`${name}.zip`) },
    body: zipStream(entries),
  };
}

function join(a: string, b: string): string {
  return a === '' ? b : `${a}/${b}`;
}
