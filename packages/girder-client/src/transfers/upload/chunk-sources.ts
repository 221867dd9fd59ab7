import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** What an upload reads: a file path, a Buffer, or a Readable. */
export type UploadSource = string | Uint8Array | Readable;

/** Reads chunks of an upload source: from any offset for files and buffers, in order for streams. */
export interface ChunkSource {
  /**
   * Up to `length` bytes from `offset` (fewer only at the end of the source).
   * @param offset - the first byte
   * @param length - how many bytes
   */
  read(offset: number, length: number): Promise<Buffer>;
  /** True when the source has bytes beyond what was read (for streams: peeked). */
  hasMore(): Promise<boolean>;
  /** Releases the source (closes the file, destroys an unfinished stream). */
  close(): Promise<void>;
}

/**
 * Chunks of an in-memory source, as views (no copy).
 * @param data - the bytes
 * @returns the chunk source
 */
export function bufferSource(data: Uint8Array): ChunkSource {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return {
    read: async (offset, length) => buffer.subarray(offset, offset + length),
    hasMore: async () => false,
    close: async () => {},
  };
}

/**
 * Chunks of a local file, read by offset (a resumed chunk is read again from disk).
 * @param path - the file
 * @returns the chunk source, holding the file open until `close()`
 */
export async function fileSource(path: string): Promise<ChunkSource> {
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

/**
 * Chunks of a stream, read in order holding one chunk at a time; a resend within the held chunk
 * is allowed, going further back is not.
 * @param stream - the source
 * @returns the chunk source; `close()` destroys the stream unless it ended
 */
export function streamSource(stream: Readable): ChunkSource {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Buffer | undefined;
  let held: { start: number; data: Buffer } = { start: 0, data: Buffer.alloc(0) };
  let position = 0;
  let ended = false;
  const pull = async (): Promise<Buffer | undefined> => {
    if (pending) {
      const piece = pending;
      pending = undefined;
      return piece;
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
