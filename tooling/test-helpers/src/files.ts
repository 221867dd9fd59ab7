import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { onTestFinished } from 'vitest';

/** A fresh directory under TMPDIR, removed when the current test finishes. */
export async function makeTempDir(prefix = 'gw-fixture-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes `bytes` pseudo-random bytes to `path` (1 MiB blocks repeated from a random seed block
 * mixed with a counter, so it is fast and not trivially compressible) and returns its sha256.
 */
export async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const block = randomBytes(1 << 20);
  async function* chunks(): AsyncGenerator<Buffer> {
    let left = bytes;
    let counter = 0;
    while (left > 0) {
      const size = Math.min(left, block.length);
      const chunk = Buffer.from(block.subarray(0, size));
      chunk.writeUInt32LE(counter++, 0);
      hash.update(chunk);
      left -= size;
      yield chunk;
    }
  }
  await pipeline(chunks(), createWriteStream(path));
  return hash.digest('hex');
}

/** sha256 of bytes or a string (hex), e.g. to compare what arrived with what was sent. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a stream's bytes (hex). */
export async function hashStream(stream: Readable | AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

/** sha256 of a file (hex). */
export function hashFile(path: string): Promise<string> {
  return hashStream(createReadStream(path));
}
