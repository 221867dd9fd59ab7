import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  backoffMs,
  delay,
  GirderClientBase,
  RETRY_STATUSES,
  type RequestBody,
  type SignalOptions,
} from './client.ts';
import { DownloadBody, type DownloadContext, DownloadStream } from './download.ts';
import {
  GirderHttpError,
  GirderNetworkError,
  IncorrectUploadLengthError,
  isGirderHttpError,
  isGirderNetworkError,
} from './errors.ts';
import type { Folder, GirderFile, Upload } from './models.ts';
import { safeFileName } from './names.ts';

/** Options of {@link GirderClient.downloadFile}. */
export interface DownloadOptions extends SignalOptions {
  /**
   * First byte to send.
   * @default 0
   */
  offset?: number;
  /**
   * One past the last byte to send (non-inclusive, like Girder's `endByte`).
   * @default the file's end
   */
  endByte?: number;
  /**
   * How many times a dropped connection is resumed (with a Range from the last byte received).
   * @default 5
   */
  maxResumes?: number;
}

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

/** What an upload reads: a file path, a Buffer, or a Readable. */
export type UploadSource = string | Uint8Array | Readable;

/** A job artifact for {@link GirderClient.addJobArtifact}. */
export interface JobArtifact extends SignalOptions {
  /** The artifact's name. */
  name: string;
  /** Its bytes: a file path, a Buffer, or a Readable. */
  source: UploadSource;
  /**
   * Bytes in `source`; required for a Readable.
   * @default the path's or Buffer's size
   */
  size?: number;
  /**
   * The artifact's MIME type.
   * @default 'application/octet-stream'
   */
  mimeType?: string;
}

/** Reads chunks of an upload source: from any offset for files and buffers, in order for streams. */
interface ChunkSource {
  read(offset: number, length: number): Promise<Buffer>;
  /** True when the source has bytes beyond what was read (for streams: peeked). */
  hasMore(): Promise<boolean>;
  close(): Promise<void>;
}

function bufferSource(data: Uint8Array): ChunkSource {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return {
    read: async (offset, length) => buffer.subarray(offset, offset + length),
    hasMore: async () => false,
    close: async () => {},
  };
}

async function fileSource(path: string): Promise<ChunkSource> {
  const handle = await open(path, 'r');
  return {
    read: async (offset, length) => {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
    hasMore: async () => false,
    close: () => handle.close(),
  };
}

/** A stream read in order, one chunk held at a time; resending within the held chunk is allowed. */
function streamSource(stream: Readable): ChunkSource {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Buffer | undefined;
  let held: { start: number; data: Buffer } = { start: 0, data: Buffer.alloc(0) };
  let position = 0;
  let ended = false;
  const pull = async (): Promise<Buffer | undefined> => {
    if (pending) {
      const p = pending;
      pending = undefined;
      return p;
    }
    if (ended) return undefined;
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      return undefined;
    }
    return Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
  };
  return {
    read: async (offset, length) => {
      const heldEnd = held.start + held.data.length;
      if (offset >= held.start && offset + length <= heldEnd) {
        return held.data.subarray(offset - held.start, offset - held.start + length);
      }
      if (offset < held.start || offset > position)
        throw new Error(
          `a stream upload cannot go back to byte ${offset} (it holds bytes ${held.start}-${heldEnd})`,
        );
      // Resuming inside the held chunk: its tail, then fresh bytes.
      const parts: Buffer[] = offset < heldEnd ? [held.data.subarray(offset - held.start)] : [];
      let got = parts[0]?.length ?? 0;
      while (got < length) {
        const piece = await pull();
        if (!piece) break;
        const take = Math.min(piece.length, length - got);
        parts.push(piece.subarray(0, take));
        if (take < piece.length) pending = piece.subarray(take);
        got += take;
      }
      const data = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, got);
      held = { start: offset, data };
      parts.length = 0;
      position = offset + data.length;
      return data;
    },
    hasMore: async () => {
      const piece = await pull();
      if (piece && piece.length > 0) {
        pending = piece;
        return true;
      }
      return false;
    },
    close: async () => {
      if (!ended) stream.destroy();
    },
  };
}

function checkCount(value: number | undefined, field: string, min: number): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
    throw new TypeError(`${field}: expected an integer >= ${min}, got ${String(value)}`);
  }
}

function isRetryable(error: unknown): boolean {
  if (isGirderNetworkError(error)) return true;
  return isGirderHttpError(error) && RETRY_STATUSES.includes(error.status);
}

/**
 * A typed Girder REST client on ky: authentication, resources, streamed downloads that resume
 * with Range, chunked resumable uploads, jobs. Mirrors the Python `girder_client`.
 *
 * @example
 * ```ts
 * const client = new GirderClient({ apiUrl: 'http://localhost:8080/api/v1' });
 * await client.authenticate({ username: 'admin', password: 'secret' });
 * const file = await client.uploadFile({ parentType: 'folder', parentId, name: 'a.csv' }, './a.csv');
 * await pipeline(client.downloadFile(file._id), process.stdout);
 * ```
 */
export class GirderClient extends GirderClientBase {
  /**
   * Streams a file's bytes, never buffered whole. When the connection drops or ends early it asks
   * again with `Range: bytes=<last byte received + 1>-` (up to `maxResumes` times, with backoff)
   * and carries on. Over plain `http:` (and without a custom `fetch`) the body is read on its own
   * HTTP/1.1 connection into reused buffers (each chunk handed out is a copy of its own); over
   * `https:`, after a redirect, or with a custom `fetch`, it goes through fetch.
   * @param fileId - the file's id
   * @param options - `offset`, `endByte`, `maxResumes`, `signal`
   * @returns a Readable of the bytes; failures arrive on it as {@link GirderHttpError} (Girder
   * refused, never resumed) or {@link GirderNetworkError} (the resumes ran out), an abort as the
   * signal's reason
   * @throws TypeError when an option is invalid (before any request)
   * @example
   * ```ts
   * await pipeline(client.downloadFile(file._id), createWriteStream('copy.bin'));
   * ```
   */
  downloadFile(fileId: string, options: DownloadOptions = {}): Readable {
    return new DownloadStream(this.#downloadBody(fileId, options));
  }

  /**
   * A file's bytes as an async iterable of chunks that are lent: each is valid only until the
   * iteration moves on (the buffer is reused), so copy what you keep. It resumes and fails as
   * {@link GirderClient.downloadFile}, and it is the fastest way to move a file into a sink that
   * is done with each chunk before asking for the next (a file, a pipe): no allocation per chunk.
   * Ending the iteration early (`break`, `return`) closes the connection.
   * @param fileId - the file's id
   * @param options - `offset`, `endByte`, `maxResumes`, `signal`
   * @returns an async iterable of lent chunks
   * @throws TypeError when an option is invalid (before any request)
   * @example
   * ```ts
   * const out = await open('copy.bin', 'w');
   * for await (const chunk of client.downloadFileChunks(file._id)) await out.write(chunk);
   * await out.close();
   * ```
   */
  downloadFileChunks(fileId: string, options: DownloadOptions = {}): AsyncIterableIterator<Uint8Array> {
    const body = this.#downloadBody(fileId, options);
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: async () => {
        const chunk = await body.read();
        return chunk ? { done: false, value: chunk } : { done: true, value: undefined };
      },
      return: async () => {
        body.cancel();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #downloadBody(fileId: string, options: DownloadOptions): DownloadBody {
    const maxResumes = options.maxResumes ?? 5;
    checkCount(maxResumes, 'maxResumes', 0);
    checkCount(options.offset, 'offset', 0);
    checkCount(options.endByte, 'endByte', (options.offset ?? 0) + 1);
    const context: DownloadContext = {
      apiUrl: this.apiUrl,
      logger: this.logger,
      retry: this.retry,
      timeoutMs: this.timeoutMs,
      native: !this.customFetch && this.apiUrl.startsWith('http:'),
      authHeaders: () => this.authHeaders(),
      send: (method, path, sendOptions) => this.send(method, path, sendOptions),
    };
    return new DownloadBody(context, {
      fileId,
      offset: options.offset ?? 0,
      endByte: options.endByte,
      maxResumes,
      signal: options.signal,
    });
  }

  /**
   * Downloads a file to `path`, streamed and resumed as {@link GirderClient.downloadFile}, each
   * lent chunk written before the next is read; a partial regular file is removed on failure
   * (a device or a FIFO is left alone).
   * @param fileId - the file id
   * @param path - where to write (overwritten)
   * @param options - as {@link GirderClient.downloadFile}
   * @returns when the file is complete on disk
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}, file system errors; an abort
   * rejects with the signal's reason
   */
  async downloadFileToPath(fileId: string, path: string, options: DownloadOptions = {}): Promise<void> {
    const body = this.#downloadBody(fileId, options);
    let file: FileHandle | undefined;
    let partial = false;
    try {
      file = await open(path, 'w');
      // Only a regular file is ours to remove on failure (never /dev/null or a FIFO).
      partial = (await file.stat()).isFile();
      // Each chunk is written before the next is read, so lent chunks need no copy.
      for (let chunk = await body.read(); chunk; chunk = await body.read()) {
        for (let at = 0; at < chunk.byteLength; ) {
          at += (await file.write(chunk, at)).bytesWritten;
        }
      }
      await file.close();
      file = undefined;
    } catch (error) {
      body.cancel(error);
      await file?.close().catch(() => {});
      if (partial) await rm(path, { force: true });
      throw options.signal?.aborted ? options.signal.reason : error;
    }
  }

  /**
   * Downloads an item into `dir` as girder_client does: a one-file item becomes
   * `dir/<item name>`, a multi-file item a directory `dir/<item name>/` of its files. Names are
   * made safe with {@link safeFileName}: nothing can be written outside `dir`.
   * @param itemId - the item id
   * @param dir - an existing directory to write into
   * @param options - `name` (instead of the item's), `signal`
   * @returns the path written (a file or a directory)
   * @throws {@link UnsafeNameError} for a name that cannot be a file name (`..`, NUL, empty)
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  async downloadItem(
    itemId: string,
    dir: string,
    options: SignalOptions & { name?: string } = {},
  ): Promise<string> {
    const item = await this.getItem(itemId, options);
    const files: GirderFile[] = [];
    for await (const file of this.listFiles(itemId, options)) files.push(file);
    const target = join(dir, safeFileName(options.name ?? item.name));
    const [only] = files;
    if (files.length === 1 && only) {
      await this.downloadFileToPath(only._id, target, options);
      return target;
    }
    await mkdir(target, { recursive: true });
    for (const file of files)
      await this.downloadFileToPath(file._id, join(target, safeFileName(file.name)), options);
    return target;
  }

  /**
   * Downloads a folder recursively into `dir` (created if missing): subfolders become
   * directories, items are written as {@link GirderClient.downloadItem} does. Every name goes
   * through {@link safeFileName}, so nothing leaves `dir`.
   * @param folderId - the folder id
   * @param dir - the target directory
   * @param options - `signal`
   * @returns when everything is on disk
   * @throws {@link UnsafeNameError}, {@link GirderHttpError}, {@link GirderNetworkError}
   * @example
   * ```ts
   * await client.downloadFolderRecursive(folderId, './copy');
   * ```
   */
  async downloadFolderRecursive(folderId: string, dir: string, options: SignalOptions = {}): Promise<void> {
    await mkdir(dir, { recursive: true });
    for await (const folder of this.listFolders({ parentId: folderId, parentType: 'folder' }, options)) {
      await this.downloadFolderRecursive(folder._id, join(dir, safeFileName(folder.name)), options);
    }
    for await (const item of this.listItems({ folderId }, options))
      await this.downloadItem(item._id, dir, options);
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
   * @param target - where and how: `parentType`, `parentId`, `name`, `size`, `mimeType`,
   * `chunkBytes`, `onProgress`, `signal`
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
  async uploadFile(target: UploadTarget, source: UploadSource): Promise<GirderFile> {
    try {
      this.#checkTarget(target, source);
    } catch (error) {
      if (source instanceof Readable) source.destroy();
      throw error;
    }
    if (source instanceof Readable && target.size === undefined) {
      const spoolDir = await mkdtemp(join(tmpdir(), 'girder-upload-'));
      try {
        const spool = join(spoolDir, 'spool');
        await pipeline(source, createWriteStream(spool), target.signal ? { signal: target.signal } : {});
        return await this.uploadFile(target, spool);
      } catch (error) {
        throw target.signal?.aborted ? target.signal.reason : error;
      } finally {
        await rm(spoolDir, { recursive: true, force: true });
      }
    }
    let size = target.size;
    let chunks: ChunkSource;
    if (typeof source === 'string') {
      const actual = (await stat(source)).size;
      if (size !== undefined && size !== actual)
        throw new IncorrectUploadLengthError(target.name, size, actual);
      size = actual;
      chunks = await fileSource(source);
    } else if (source instanceof Readable) {
      chunks = streamSource(source);
    } else {
      if (size !== undefined && size !== source.byteLength)
        throw new IncorrectUploadLengthError(target.name, size, source.byteLength);
      size = source.byteLength;
      chunks = bufferSource(source);
    }
    const total = size as number;
    try {
      return await this.#upload(target, total, chunks);
    } finally {
      await chunks.close();
    }
  }

  /** Validates an upload target, naming the field. */
  #checkTarget(target: UploadTarget, source: UploadSource): void {
    if (typeof target !== 'object' || target === null)
      throw new TypeError(`uploadFile: expected a target object, got ${String(target)}`);
    if (target.parentType !== 'item' && target.parentType !== 'folder')
      throw new TypeError(
        `parentType: expected "item" or "folder", got ${JSON.stringify(target.parentType)}`,
      );
    for (const field of ['parentId', 'name'] as const) {
      if (typeof target[field] !== 'string' || target[field] === '')
        throw new TypeError(`${field}: expected a non-empty string, got ${JSON.stringify(target[field])}`);
    }
    checkCount(target.size, 'size', 0);
    checkCount(target.chunkBytes, 'chunkBytes', this.minimumChunkBytes);
    if (typeof source !== 'string' && !(source instanceof Readable) && !(source instanceof Uint8Array))
      throw new TypeError(`source: expected a file path, a Buffer or a Readable, got ${typeof source}`);
  }

  async #upload(target: UploadTarget, size: number, chunks: ChunkSource): Promise<GirderFile> {
    const { signal } = target;
    const chunkBytes = target.chunkBytes ?? this.chunkBytes;
    // A stream that has bytes beyond `size` is refused before Girder finalizes anything.
    if (size === 0 && (await chunks.hasMore())) throw new IncorrectUploadLengthError(target.name, 0, 1);
    let doc = await this.post<Upload | GirderFile>('file', {
      searchParams: {
        parentType: target.parentType,
        parentId: target.parentId,
        name: target.name,
        size,
        mimeType: target.mimeType ?? 'application/octet-stream',
      },
      ...(signal ? { signal } : {}),
    });
    if (doc._modelType === 'file') return doc as GirderFile;
    const uploadId = doc._id;
    let offset = 0;
    let failures = 0;
    try {
      while (offset < size) {
        const length = Math.min(chunkBytes, size - offset);
        const data = await chunks.read(offset, length);
        if (data.length < length)
          throw new IncorrectUploadLengthError(target.name, size, offset + data.length);
        if (offset + length === size && (await chunks.hasMore()))
          throw new IncorrectUploadLengthError(target.name, size, size + 1);
        try {
          doc = await this.request<Upload | GirderFile>('POST', 'file/chunk', {
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
            ++failures > this.retry.limit ||
            !(isRetryable(error) || isOffsetMismatch(error))
          )
            throw error;
          offset = await this.#resumeOffset(uploadId, offset, failures, error, signal);
        }
        target.onProgress?.({ bytes: offset, total: size });
      }
      if (doc._modelType !== 'file') throw new Error(`Girder did not finish the upload of "${target.name}"`);
      this.logger.debug('uploaded a file to Girder', { name: target.name, size, fileId: doc._id });
      return doc as GirderFile;
    } catch (error) {
      if (doc._modelType !== 'file') {
        await this.delete(`file/upload/${encodeURIComponent(uploadId)}`).catch((cleanup: unknown) => {
          this.logger.warn('could not cancel a failed Girder upload', {
            uploadId,
            error: cleanup instanceof Error ? cleanup.message : String(cleanup),
          });
        });
      }
      throw signal?.aborted ? signal.reason : error;
    }
  }

  /**
   * After a failed chunk: waits (backoff), then asks Girder how many bytes it kept
   * (`GET /file/offset`; an interrupted chunk's bytes stay). The next chunk starts there and is
   * a full chunk again, so a resumed chunk is never below Girder's minimum.
   */
  async #resumeOffset(
    uploadId: string,
    sent: number,
    attempt: number,
    error: unknown,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    this.logger.warn('an upload chunk failed; resuming from the offset Girder reports', {
      uploadId,
      offset: sent,
      attempt,
      error: error instanceof Error ? error.message : String(error),
    });
    await delay(backoffMs(attempt, this.retry), signal);
    const { offset } = await this.get<{ offset: number }>('file/offset', {
      searchParams: { uploadId },
      ...(signal ? { signal } : {}),
    });
    if (offset < sent) throw error;
    return offset;
  }

  /**
   * Uploads a local file into an item (adds a file to it), as {@link GirderClient.uploadFile}.
   * @param itemId - the item id
   * @param path - the local file
   * @param options - `name` (default: the file's base name), `mimeType`, `chunkBytes`, `onProgress`, `signal`
   * @returns the new file document
   * @throws as {@link GirderClient.uploadFile}
   */
  uploadFileToItem(
    itemId: string,
    path: string,
    options: Omit<UploadTarget, 'parentType' | 'parentId' | 'name'> & { name?: string } = {},
  ): Promise<GirderFile> {
    return this.uploadFile(
      { ...options, parentType: 'item', parentId: itemId, name: options.name ?? basename(path) },
      path,
    );
  }

  /**
   * Uploads a local file into a folder (Girder creates an item named after it), as
   * {@link GirderClient.uploadFile}.
   * @param folderId - the folder id
   * @param path - the local file
   * @param options - `name` (default: the file's base name), `mimeType`, `chunkBytes`, `onProgress`, `signal`
   * @returns the new file document
   * @throws as {@link GirderClient.uploadFile}
   */
  uploadFileToFolder(
    folderId: string,
    path: string,
    options: Omit<UploadTarget, 'parentType' | 'parentId' | 'name'> & { name?: string } = {},
  ): Promise<GirderFile> {
    return this.uploadFile(
      { ...options, parentType: 'folder', parentId: folderId, name: options.name ?? basename(path) },
      path,
    );
  }

  /**
   * Uploads a local directory into a folder, recursively: subdirectories become folders (reused
   * when they exist), regular files become items (symbolic links and other entries are skipped).
   * @param folderId - the target folder id
   * @param dir - the local directory
   * @param options - `signal`
   * @returns when every file is uploaded
   * @throws as {@link GirderClient.uploadFile} and {@link GirderClient.createFolder}
   */
  async uploadDirectoryToFolder(folderId: string, dir: string, options: SignalOptions = {}): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        const folder: Folder = await this.createFolder(folderId, entry.name, {
          reuseExisting: true,
          ...options,
        });
        await this.uploadDirectoryToFolder(folder._id, path, options);
      } else if (entry.isFile()) {
        await this.uploadFileToFolder(folderId, path, options);
      }
    }
  }

  /**
   * Attaches a file to a job as an artifact: `POST job/{id}/artifact?name=&size=&mimeType=` with
   * the bytes as the body, streamed (girder_worker's `GirderUploadJobArtifact`; a deployment adds
   * that route with a plugin). Sent once, never retried.
   * @param jobId - the job id
   * @param artifact - `name`, `source` (path, Buffer or Readable), `size` (required for a
   * Readable), `mimeType`, `signal`
   * @returns Girder's answer (the test server answers the stored file document)
   * @throws TypeError for a Readable without `size`
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  async addJobArtifact(jobId: string, artifact: JobArtifact): Promise<unknown> {
    let body: RequestBody;
    let size = artifact.size;
    if (typeof artifact.source === 'string') {
      size ??= (await stat(artifact.source)).size;
      body = Readable.toWeb(createReadStream(artifact.source)) as unknown as RequestBody;
    } else if (artifact.source instanceof Readable) {
      if (size === undefined) throw new TypeError('addJobArtifact: a Readable source needs its size');
      body = Readable.toWeb(artifact.source) as unknown as RequestBody;
    } else {
      size ??= artifact.source.byteLength;
      body = artifact.source as RequestBody;
    }
    return this.request('POST', `job/${encodeURIComponent(jobId)}/artifact`, {
      searchParams: { name: artifact.name, size, mimeType: artifact.mimeType ?? 'application/octet-stream' },
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
      retry: false,
      ...(artifact.signal ? { signal: artifact.signal } : {}),
    });
  }
}

function isOffsetMismatch(error: unknown): boolean {
  return (
    error instanceof GirderHttpError &&
    error.status === 400 &&
    /client sent offset/.test(error.girderMessage ?? '')
  );
}
