import { open } from 'node:fs/promises';
import { LentChunks } from './lent-chunks.ts';

/** Options of {@link readFileChunks}. */
export interface FileChunksOptions {
  /** Stops reading; the iteration then throws the signal's reason. */
  signal?: AbortSignal;
  /**
   * Bytes read at a time (each of the two reused slabs is this large).
   * @default 1 MiB
   */
  chunkBytes?: number;
}

/**
 * Reads a file as {@link LentChunks}: two reused slabs, the next one filled while the previous is
 * lent, so reading any size allocates nothing per chunk and holds `2 × chunkBytes`.
 */
async function* lend(
  path: string,
  signal: AbortSignal | undefined,
  chunkBytes: number,
): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  const file = await open(path, 'r');
  const slabs = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)] as const;
  let reading: Promise<{ bytesRead: number }> | undefined;
  try {
    reading = file.read(slabs[0], 0, chunkBytes, null);
    for (let i = 0; ; i++) {
      const { bytesRead } = await reading;
      reading = undefined;
      if (bytesRead === 0) return;
      signal?.throwIfAborted();
      const slab = slabs[i % 2] as Buffer;
      // The other slab was released when the consumer asked for this step.
      reading = file.read(slabs[(i + 1) % 2] as Buffer, 0, chunkBytes, null);
      yield slab.subarray(0, bytesRead);
    }
  } finally {
    await reading?.catch(() => {});
    await file.close();
  }
}

/**
 * Reads a file into two reused buffers and lends them: each chunk is valid until the next step of
 * the iteration. A connector writes them to a FIFO or a file without a copy.
 * @param path - the file to read
 * @param options - signal and chunk size; see {@link FileChunksOptions}
 * @returns the file's bytes as lent chunks
 * @throws TypeError when `chunkBytes` is not a positive integer
 */
export function readFileChunks(path: string, options: FileChunksOptions = {}): LentChunks {
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) {
    throw new TypeError(
      `readFileChunks options.chunkBytes: expected a positive integer, got ${String(chunkBytes)}`,
    );
  }
  return new LentChunks(lend(path, options.signal, chunkBytes));
}
