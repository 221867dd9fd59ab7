import { type FileHandle, open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { SignalOptions } from '../../http/requester.ts';
import { checkInteger } from '../../options.ts';
import { DownloadBody, type DownloadParts } from './download-body.ts';
import { DownloadStream } from './download-stream.ts';

/** Options of a file download. */
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

/** A file's bytes three ways: a Readable, lent chunks, or a local file. */
export interface FileDownloads {
  /**
   * Streams a file's bytes, never buffered whole. When the connection drops or ends early it asks
   * again with `Range: bytes=<last byte received + 1>-` (up to `maxResumes` times, with backoff)
   * and carries on. With the default fetch, over `http:` and `https:` alike, the body is read on
   * its own HTTP/1.1 connection into reused buffers (each chunk handed out is a copy of its own);
   * after a redirect, or with a custom `fetch`, it goes through fetch.
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
  downloadFile(fileId: string, options?: DownloadOptions): Readable;
  /**
   * A file's bytes as an async iterable of chunks that are lent: each is valid only until the
   * iteration moves on (the buffer is reused), so copy what you keep. It resumes and fails as
   * `downloadFile`, and it is the fastest way to move a file into a sink that is done with each
   * chunk before asking for the next (a file, a pipe): no allocation per chunk. Ending the
   * iteration early (`break`, `return`) closes the connection.
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
  downloadFileChunks(fileId: string, options?: DownloadOptions): AsyncIterableIterator<Uint8Array>;
  /**
   * Downloads a file to `path`, streamed and resumed as `downloadFile`, each lent chunk written
   * before the next is read; a partial regular file is removed on failure (a device or a FIFO is
   * left alone).
   * @param fileId - the file id
   * @param path - where to write (overwritten)
   * @param options - as `downloadFile`
   * @returns when the file is complete on disk
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}, file system errors; an abort
   * rejects with the signal's reason
   */
  downloadFileToPath(fileId: string, path: string, options?: DownloadOptions): Promise<void>;
}

function planOf(fileId: string, options: DownloadOptions) {
  const maxResumes = options.maxResumes ?? 5;
  checkInteger(maxResumes, 'maxResumes', 0);
  checkInteger(options.offset, 'offset', 0);
  checkInteger(options.endByte, 'endByte', (options.offset ?? 0) + 1);
  return {
    fileId,
    offset: options.offset ?? 0,
    endByte: options.endByte,
    maxResumes,
    signal: options.signal,
  };
}

function lentChunks(body: DownloadBody): AsyncIterableIterator<Uint8Array> {
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

async function writeToPath(body: DownloadBody, path: string, signal: AbortSignal | undefined): Promise<void> {
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
    throw signal?.aborted ? signal.reason : error;
  }
}

/**
 * File downloads over the client's transport.
 * @param parts - settings, transport, errors
 * @returns the downloads
 */
export function createFileDownloads(parts: DownloadParts): FileDownloads {
  const body = (fileId: string, options: DownloadOptions): DownloadBody =>
    new DownloadBody(parts, planOf(fileId, options));
  return {
    downloadFile: (fileId, options = {}) => new DownloadStream(body(fileId, options)),
    downloadFileChunks: (fileId, options = {}) => lentChunks(body(fileId, options)),
    downloadFileToPath: (fileId, path, options = {}) =>
      writeToPath(body(fileId, options), path, options.signal),
  };
}
