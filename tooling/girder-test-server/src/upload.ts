import { createHash } from 'node:crypto';
import { open, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { type FileDoc, type GirderUserDoc, girderDate, type UploadDoc } from './models.ts';
import { newObjectId } from './object-id.ts';
import { accessError, restError, validationError } from './rest-error.ts';
import type { State, UploadRecord } from './state.ts';

/**
 * Internal: starts an upload (girder/models/upload.py `createUpload` / `createUploadToFile`),
 * with an empty temporary file on disk.
 */
export async function createUpload(
  state: State,
  o: {
    user: GirderUserDoc;
    name: string;
    size: number;
    mimeType: string;
    parentType: 'folder' | 'item' | null;
    parentId: string | null;
    reference?: string | undefined;
    fileId?: string;
    attachToJobId?: string;
  },
): Promise<UploadRecord> {
  if (o.size < 0) throw validationError('File size must not be negative.');
  const now = girderDate();
  const doc: UploadDoc = {
    _id: newObjectId(),
    _modelType: 'upload',
    name: o.name,
    size: o.size,
    received: 0,
    mimeType: o.mimeType,
    parentType: o.parentType,
    parentId: o.parentId,
    userId: o.user._id,
    assetstoreId: state.assetstoreId,
    created: now,
    updated: now,
  };
  if (o.fileId !== undefined) doc.fileId = o.fileId;
  if (o.reference !== undefined) doc.reference = o.reference;
  const record: UploadRecord = {
    doc,
    tempPath: state.uploadPath(doc._id),
    hash: state.checksums ? createHash('sha512') : undefined,
    crc32: 0,
    queue: Promise.resolve(),
  };
  if (o.attachToJobId !== undefined) record.attachToJobId = o.attachToJobId;
  await writeFile(record.tempPath, '');
  state.uploads.set(doc._id, record);
  return record;
}

/** Bytes gathered before one write to the upload's temporary file. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/** Internal: runs upload operations one at a time. */
function serialized<T>(record: UploadRecord, op: () => Promise<T>): Promise<T> {
  const next = record.queue.then(op, op);
  record.queue = next.catch(() => undefined);
  return next;
}

/**
 * Internal: appends one chunk (girder/api/v1/file.py `readChunk` + the filesystem assetstore's
 * `uploadChunk`): checks the offset, streams the body to disk, rejects too many bytes and
 * non-final chunks below the minimum chunk size (the chunk is then truncated away), finalizes when
 * complete. Returns the upload, or the file once complete.
 */
export function handleChunk(
  state: State,
  record: UploadRecord,
  user: GirderUserDoc,
  offset: number,
  body: AsyncIterable<unknown> | null,
): Promise<UploadDoc | FileDoc> {
  return serialized(record, async () => {
    if (state.uploads.get(record.doc._id) !== record)
      throw validationError(`No such upload: ${record.doc._id}`, 'id');
    if (record.doc.userId !== user._id) throw accessError('You did not initiate this upload.');
    const received = record.doc.received;
    if (received !== offset) {
      throw restError(`Server has received ${received} bytes, but client sent offset ${offset}.`);
    }
    // Bytes left by an interrupted chunk that the client did not claim through /file/offset are
    // dropped (Girder would append after them and corrupt the file).
    if ((await stat(record.tempPath)).size > received) await truncate(record.tempPath, received);
    const hash = record.hash?.copy();
    let crc = record.crc32;
    let bytes = 0;
    let tooMany = false;
    const handle = await open(record.tempPath, 'a');
    // Pieces are written in batches of about 1 MiB: one awaited write per socket read would make
    // the thread-pool round trips, not the disk, the limit.
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      let pending = batch;
      batch = [];
      batchBytes = 0;
      while (pending.length > 0) {
        let { bytesWritten } = await handle.writev(pending);
        const rest: Buffer[] = [];
        for (const buf of pending) {
          if (bytesWritten >= buf.length) bytesWritten -= buf.length;
          else {
            rest.push(buf.subarray(bytesWritten));
            bytesWritten = 0;
          }
        }
        pending = rest;
      }
    };
    try {
      if (body !== null) {
        for await (const piece of body) {
          if (tooMany) continue;
          const chunk = typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
          if (received + bytes + chunk.length > record.doc.size) {
            tooMany = true;
            continue;
          }
          batch.push(chunk);
          batchBytes += chunk.length;
          hash?.update(chunk);
          crc = crc32(chunk, crc);
          bytes += chunk.length;
          if (batchBytes >= WRITE_BATCH_BYTES) await flush();
        }
      }
    } finally {
      try {
        await flush();
      } finally {
        await handle.close();
      }
    }
    if (tooMany) {
      await truncate(record.tempPath, received);
      throw validationError('Received too many bytes.');
    }
    if (received + bytes !== record.doc.size && bytes < state.minimumChunkSize) {
      await truncate(record.tempPath, received);
      throw validationError('Chunk is smaller than the minimum size.');
    }
    record.hash = hash;
    record.crc32 = crc;
    record.doc.received = received + bytes;
    record.doc.updated = girderDate();
    if (record.doc.received === record.doc.size) return finalizeUpload(state, record);
    return { ...record.doc };
  });
}

/**
 * Internal: the offset to resume from (girder `requestOffset`: the size of the temporary file,
 * which counts bytes of an interrupted chunk; `received` is set to it).
 */
export function requestOffset(record: UploadRecord): Promise<number> {
  return serialized(record, async () => {
    const onDisk = (await stat(record.tempPath)).size;
    if (onDisk > record.doc.received) {
      const handle = await open(record.tempPath, 'r');
      try {
        for await (const chunk of handle.createReadStream({ start: record.doc.received, autoClose: false })) {
          record.hash?.update(chunk as Buffer);
          record.crc32 = crc32(chunk as Buffer, record.crc32);
        }
      } finally {
        await handle.close();
      }
      record.doc.received = onDisk;
      record.doc.updated = girderDate();
    }
    return record.doc.received;
  });
}

/** Internal: cancels an upload and removes its bytes. */
export function cancelUpload(state: State, record: UploadRecord): Promise<void> {
  return serialized(record, async () => {
    state.uploads.delete(record.doc._id);
    await rm(record.tempPath, { force: true });
  });
}

/**
 * Internal: turns a complete upload into a file (girder/models/upload.py `finalizeUpload`): an
 * upload into a folder creates an item named after the file; into an item adds a file; into an
 * existing file replaces its contents.
 */
export async function finalizeUpload(state: State, record: UploadRecord): Promise<FileDoc> {
  const upload = record.doc;
  const sha512 = record.hash?.digest('hex');
  const now = girderDate();
  let file: FileDoc;
  if (upload.fileId !== undefined) {
    const existing = state.files.get(upload.fileId);
    if (existing === undefined) throw validationError(`No such file: ${upload.fileId}`, 'id');
    await rename(record.tempPath, state.filePath(existing._id));
    const item = existing.itemId === null ? undefined : state.items.get(existing.itemId);
    if (item) state.propagateSizeChange(item, upload.size - existing.size);
    existing.size = upload.size;
    if (sha512 === undefined) delete existing.sha512;
    else existing.sha512 = sha512;
    existing.creatorId = upload.userId;
    existing.created = now;
    existing.updated = now;
    file = existing;
  } else {
    let itemId: string | null = null;
    if (upload.parentType === 'folder' && upload.parentId !== null) {
      const creator = state.users.get(upload.userId)?.doc;
      itemId = state.createItem({ folderId: upload.parentId, name: upload.name, creator })._id;
    } else if (upload.parentType === 'item' && upload.parentId !== null) {
      itemId = upload.parentId;
    }
    file = state.createFileDoc({
      itemId,
      name: upload.name,
      size: upload.size,
      mimeType: upload.mimeType,
      creatorId: upload.userId,
      sha512,
    });
    if (record.attachToJobId !== undefined) {
      file.attachedToType = 'job';
      file.attachedToId = record.attachToJobId;
    }
    await rename(record.tempPath, state.filePath(file._id));
    state.files.set(file._id, file);
    const item = itemId === null ? undefined : state.items.get(itemId);
    if (item) state.propagateSizeChange(item, upload.size);
  }
  state.fileCrc32.set(file._id, record.crc32);
  state.uploads.delete(upload._id);
  return { ...file };
}

/** Internal: creates a file from bytes in one go (the direct test API and artifacts). */
export async function storeWholeFile(
  state: State,
  o: {
    user: GirderUserDoc;
    name: string;
    size: number;
    mimeType: string;
    parentType: 'folder' | 'item' | null;
    parentId: string | null;
    attachToJobId?: string;
    body: AsyncIterable<unknown> | null;
  },
): Promise<FileDoc> {
  const record = await createUpload(state, o);
  try {
    if (o.size === 0) {
      if (o.body !== null)
        for await (const piece of o.body)
          if ((piece as Buffer).length > 0) throw validationError('Received too many bytes.');
      return await finalizeUpload(state, record);
    }
    const result = await handleChunk(state, record, o.user, 0, o.body);
    if (result._modelType !== 'file') {
      throw restError(
        `Server has only received ${result.received} bytes, but the file should be ${result.size} bytes.`,
      );
    }
    return result;
  } finally {
    if (state.uploads.has(record.doc._id)) await cancelUpload(state, record);
  }
}
