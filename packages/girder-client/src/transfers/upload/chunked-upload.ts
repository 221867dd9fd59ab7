import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GirderHttpError, IncorrectUploadLengthError } from '../../errors.ts';
import type { Requester, SignalOptions } from '../../http/requester.ts';
import { backoffMs, delay, isRetryable } from '../../http/retry.ts';
import type { GirderFile, Upload } from '../../models.ts';
import { type ClientSettings, checkInteger } from '../../options.ts';
import {
  bufferSource,
  type ChunkSource,
  fileSource,
  streamSource,
  type UploadSource,
} from './chunk-sources.ts';

/** Where an upload goes and how. */
export interface UploadTarget extends SignalOptions {
  /** An item (adds a file) or a folder (creates an item named after the file). */
  parentType: 'item' | 'folder';
  /** The item or folder id. */
  parentId: string;
  /** The file name in Girder. */
  name: string;
  /** Bytes the source will give. Required by Girder up front: a Readable without it is spooled to disk first. */
  size?: number;
  /**
   * The file's MIME type.
   * @default 'application/octet-stream'
   */
  mimeType?: string;
  /**
   * Chunk size for this upload, in bytes (at least the client's `minimumChunkBytes`).
   * @default the client's `chunkBytes`
   */
  chunkBytes?: number;
  /** Called after each chunk with the bytes Girder has. */
  onProgress?: (progress: { bytes: number; total: number }) => void;
}

/**
 * Uploads with Girder's chunked protocol: `POST /file` with the size, then
 * `POST /file/chunk?offset=` with `chunkBytes` at a time (all but the last at least the client's
 * `minimumChunkBytes`). A chunk that fails with a network error or 429/502/503/504 is resumed
 * from the offset Girder reports (`GET /file/offset`), with backoff, up to the client's retry
 * limit. A path or Buffer is read by offset; a Readable of known `size` streams through holding
 * one chunk at most; a Readable of unknown size is spooled to a temporary file first (memory
 * still bounded, the spool removed whatever happens). A source that gives another number of
 * bytes than declared cancels the upload (`DELETE /file/upload/{id}`). A Readable source is
 * consumed or destroyed.
 * @param target - where and how: `parentType`, `parentId`, `name`, `size`, `mimeType`, `chunkBytes`, `onProgress`, `signal`
 * @param source - a file path, a Buffer/Uint8Array, or a Readable
 * @returns the new file document
 * @throws TypeError naming the field when `target` is invalid (nothing is sent)
 * @throws {@link IncorrectUploadLengthError} when the source's length differs from `size`
 * @throws {@link GirderHttpError}, {@link GirderNetworkError}; an abort rejects with the signal's reason
 * @example
 * ```ts
 * const file = await client.uploadFile(
 *   { parentType: 'folder', parentId: folder._id, name: 'big.bin', size: 2 ** 30 },
 *   createReadStream('big.bin'),
 * );
 * ```
 */
export type UploadFile = (target: UploadTarget, source: UploadSource) => Promise<GirderFile>;

/** Validates an upload target, naming the field. */
function checkTarget(target: UploadTarget, source: UploadSource, minimumChunkBytes: number): void {
  if (typeof target !== 'object' || target === null)
    throw new TypeError(`uploadFile: expected a target object, got ${String(target)}`);
  if (target.parentType !== 'item' && target.parentType !== 'folder')
    throw new TypeError(`parentType: expected "item" or "folder", got ${JSON.stringify(target.parentType)}`);
  for (const field of ['parentId', 'name'] as const) {
    if (typeof target[field] !== 'string' || target[field] === '')
      throw new TypeError(`${field}: expected a non-empty string, got ${JSON.stringify(target[field])}`);
  }
  checkInteger(target.size, 'size', 0);
  checkInteger(target.chunkBytes, 'chunkBytes', minimumChunkBytes);
  if (typeof source !== 'string' && !(source instanceof Readable) && !(source instanceof Uint8Array))
    throw new TypeError(`source: expected a file path, a Buffer or a Readable, got ${typeof source}`);
}

/** The source as chunks, with its size checked against the declared one. */
async function openSource(
  target: UploadTarget,
  source: UploadSource,
): Promise<{ size: number; chunks: ChunkSource }> {
  if (typeof source === 'string') {
    const actual = (await stat(source)).size;
    if (target.size !== undefined && target.size !== actual)
      throw new IncorrectUploadLengthError(target.name, target.size, actual);
    return { size: actual, chunks: await fileSource(source) };
  }
  if (source instanceof Readable) return { size: target.size as number, chunks: streamSource(source) };
  if (target.size !== undefined && target.size !== source.byteLength)
    throw new IncorrectUploadLengthError(target.name, target.size, source.byteLength);
  return { size: source.byteLength, chunks: bufferSource(source) };
}

function isOffsetMismatch(error: unknown): boolean {
  return (
    error instanceof GirderHttpError &&
    error.status === 400 &&
    /client sent offset/.test(error.girderMessage ?? '')
  );
}

/** What an upload uses from its client. */
interface UploadContext {
  http: Requester;
  settings: ClientSettings;
}

/**
 * After a failed chunk: waits (backoff), then asks Girder how many bytes it kept
 * (`GET /file/offset`; an interrupted chunk's bytes stay). The next chunk starts there and is
 * a full chunk again, so a resumed chunk is never below Girder's minimum.
 */
async function resumeOffset(
  { http, settings }: UploadContext,
  uploadId: string,
  sent: number,
  attempt: number,
  error: unknown,
  signal: AbortSignal | undefined,
): Promise<number> {
  settings.logger.warn('an upload chunk failed; resuming from the offset Girder reports', {
    uploadId,
    offset: sent,
    attempt,
    error: error instanceof Error ? error.message : String(error),
  });
  await delay(backoffMs(attempt, settings.retry), signal);
  const { offset } = await http.get<{ offset: number }>('file/offset', {
    searchParams: { uploadId },
    ...(signal ? { signal } : {}),
  });
  if (offset < sent) throw error;
  return offset;
}

/** Sends the chunks of an upload Girder opened, resuming failed ones; returns the finished file. */
async function sendChunks(
  context: UploadContext,
  uploadId: string,
  target: UploadTarget,
  size: number,
  chunks: ChunkSource,
): Promise<GirderFile> {
  const { http, settings } = context;
  const { signal } = target;
  const chunkBytes = target.chunkBytes ?? settings.chunkBytes;
  let doc: Upload | GirderFile | undefined;
  let offset = 0;
  let failures = 0;
  while (offset < size) {
    const length = Math.min(chunkBytes, size - offset);
    const data = await chunks.read(offset, length);
    if (data.length < length) throw new IncorrectUploadLengthError(target.name, size, offset + data.length);
    if (offset + length === size && (await chunks.hasMore()))
      throw new IncorrectUploadLengthError(target.name, size, size + 1);
    try {
      doc = await http.request<Upload | GirderFile>('POST', 'file/chunk', {
        searchParams: { uploadId, offset },
        body: data,
        headers: { 'Content-Type': 'application/octet-stream' },
        retry: false,
        ...(signal ? { signal } : {}),
      });
      offset = doc._modelType === 'file' ? size : (doc as Upload).received;
      failures = 0;
    } catch (error) {
      if (
        signal?.aborted ||
        ++failures > settings.retry.limit ||
        !(isRetryable(error) || isOffsetMismatch(error))
      )
        throw error;
      offset = await resumeOffset(context, uploadId, offset, failures, error, signal);
    }
    target.onProgress?.({ bytes: offset, total: size });
  }
  if (doc?._modelType !== 'file') throw new Error(`Girder did not finish the upload of "${target.name}"`);
  return doc as GirderFile;
}

/** Opens the upload (`POST file`), sends the chunks, and cancels the upload if they fail. */
async function upload(
  context: UploadContext,
  target: UploadTarget,
  size: number,
  chunks: ChunkSource,
): Promise<GirderFile> {
  const { http, settings } = context;
  const { signal } = target;
  // A stream that has bytes beyond `size` is refused before Girder finalizes anything.
  if (size === 0 && (await chunks.hasMore())) throw new IncorrectUploadLengthError(target.name, 0, 1);
  const created = await http.post<Upload | GirderFile>('file', {
    searchParams: {
      parentType: target.parentType,
      parentId: target.parentId,
      name: target.name,
      size,
      mimeType: target.mimeType ?? 'application/octet-stream',
    },
    ...(signal ? { signal } : {}),
  });
  if (created._modelType === 'file') return created as GirderFile;
  try {
    const file = await sendChunks(context, created._id, target, size, chunks);
    settings.logger.debug('uploaded a file to Girder', { name: target.name, size, fileId: file._id });
    return file;
  } catch (error) {
    await http.delete(`file/upload/${encodeURIComponent(created._id)}`).catch((cleanup: unknown) => {
      settings.logger.warn('could not cancel a failed Girder upload', {
        uploadId: created._id,
        error: cleanup instanceof Error ? cleanup.message : String(cleanup),
      });
    });
    throw signal?.aborted ? signal.reason : error;
  }
}

/** A Readable of unknown size, spooled to a temporary file first (removed whatever happens). */
async function uploadSpooled(
  context: UploadContext,
  target: UploadTarget,
  source: Readable,
): Promise<GirderFile> {
  const spoolDir = await mkdtemp(join(tmpdir(), 'girder-upload-'));
  try {
    const spool = join(spoolDir, 'spool');
    await pipeline(source, createWriteStream(spool), target.signal ? { signal: target.signal } : {});
    return await uploadFile(context, target, spool);
  } catch (error) {
    throw target.signal?.aborted ? target.signal.reason : error;
  } finally {
    await rm(spoolDir, { recursive: true, force: true });
  }
}

async function uploadFile(
  context: UploadContext,
  target: UploadTarget,
  source: UploadSource,
): Promise<GirderFile> {
  try {
    checkTarget(target, source, context.settings.minimumChunkBytes);
  } catch (error) {
    if (source instanceof Readable) source.destroy();
    throw error;
  }
  if (source instanceof Readable && target.size === undefined) return uploadSpooled(context, target, source);
  const { size, chunks } = await openSource(target, source);
  try {
    return await upload(context, target, size, chunks);
  } finally {
    await chunks.close();
  }
}

/**
 * Girder's chunked upload protocol over the client's requester.
 * @param http - the requester
 * @param settings - chunk sizes, retry policy, logger
 * @returns `uploadFile`
 */
export function createChunkedUpload(http: Requester, settings: ClientSettings): UploadFile {
  const context: UploadContext = { http, settings };
  return (target, source) => uploadFile(context, target, source);
}
