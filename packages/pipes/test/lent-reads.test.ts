import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { assertNoLeaks, countOpenFds, makeTempDir, sha256Hex } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamConnector } from '../src/connector.ts';
import { isFifoPeerMissingError, isPipeError } from '../src/errors.ts';
import { openFifoReader } from '../src/fifo-reader.ts';
import { readFileChunks } from '../src/file-chunks.ts';
import { isLentChunks, releasesChunks } from '../src/lent-chunks.ts';
import { delay, makeFifo, sh } from './helpers.ts';

afterEach(() => assertNoLeaks({ containers: false }));

/** Consumes lent chunks: hashes them, records the memory they live in and their sizes. */
async function consume(chunks: AsyncIterable<Uint8Array>, pauseMs = 0) {
  const hash = createHash('sha256');
  const memory = new Set<ArrayBufferLike>();
  const sizes: number[] = [];
  for await (const chunk of chunks) {
    hash.update(chunk);
    memory.add(chunk.buffer);
    sizes.push(chunk.byteLength);
    if (pauseMs > 0) await delay(pauseMs);
  }
  return { digest: hash.digest('hex'), memory, sizes };
}

describe('FifoReadStream.lend()', () => {
  it('lends what a writer process writes, byte-exact, from two reused slabs', async () => {
    const fifo = await makeFifo();
    const payload = randomBytes(24 << 20);
    const writer = sh('cat > "$F"', { F: fifo });
    writer.stdin?.end(payload);
    const chunks = openFifoReader(fifo, { until: writer.exited }).lend();
    expect(isLentChunks(chunks)).toBe(true);
    const { digest, memory } = await consume(chunks);
    expect(digest).toBe(sha256Hex(payload));
    expect(memory.size).toBeLessThanOrEqual(2);
  });

  it('hands a slow consumer larger chunks (reads pile up in the slab) and loses nothing', async () => {
    const fifo = await makeFifo();
    const payload = randomBytes(8 << 20);
    const writer = sh('cat > "$F"', { F: fifo });
    writer.stdin?.end(payload);
    const { digest, sizes, memory } = await consume(openFifoReader(fifo, { until: writer.exited }).lend(), 5);
    expect(digest).toBe(sha256Hex(payload));
    expect(memory.size).toBeLessThanOrEqual(2);
    // A pipe hands over at most 64 KiB a read; anything larger was coalesced while we slept.
    expect(Math.max(...sizes)).toBeGreaterThan(64 * 1024);
  });

  it('keeps each chunk intact until the next is asked for', async () => {
    const fifo = await makeFifo();
    const payload = randomBytes(6 << 20);
    const writer = sh('cat > "$F"', { F: fifo });
    writer.stdin?.end(payload);
    const parts: Buffer[] = [];
    for await (const chunk of openFifoReader(fifo, { until: writer.exited }).lend()) {
      const copy = Buffer.from(chunk);
      await delay(1); // more reads land meanwhile, in the other slab or the free tail
      expect(Buffer.from(chunk).equals(copy)).toBe(true);
      parts.push(copy);
    }
    expect(Buffer.concat(parts).equals(payload)).toBe(true);
  });

  it('fails the iteration with FifoPeerMissingError when no writer came', async () => {
    const fifo = await makeFifo();
    const error = await consume(openFifoReader(fifo, { until: delay(100) }).lend()).catch((e: unknown) => e);
    expect(isFifoPeerMissingError(error)).toBe(true);
  });

  it('fails the iteration with the abort reason and closes the descriptor', async () => {
    const fifo = await makeFifo();
    const before = await countOpenFds();
    const controller = new AbortController();
    const writer = sh('while :; do printf x; sleep 0.01; done > "$F"', { F: fifo });
    const chunks = openFifoReader(fifo, { signal: controller.signal }).lend();
    setTimeout(() => controller.abort(new Error('run cancelled')), 200);
    const error = await consume(chunks).catch((e: unknown) => e);
    expect((error as Error).message).toBe('run cancelled');
    writer.kill();
    await writer.exited;
    await delay(20);
    expect(await countOpenFds()).toBe(before);
  });

  it('refuses to lend a reader that is already being read', async () => {
    const fifo = await makeFifo();
    const reader = openFifoReader(fifo, { until: delay(50), onMissingWriter: 'end' });
    reader.resume();
    let error: unknown;
    try {
      reader.lend();
    } catch (e) {
      error = e;
    }
    expect(isPipeError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('GW_FIFO_READER_STARTED');
    await new Promise((resolve) => reader.once('close', resolve));
  });
});

describe('readFileChunks', () => {
  it('lends a file byte-exact from two reused buffers and closes it', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'data.bin');
    const payload = randomBytes((5 << 20) + 123);
    await writeFile(path, payload);
    const before = await countOpenFds();
    const { digest, memory, sizes } = await consume(readFileChunks(path, { chunkBytes: 1 << 20 }));
    expect(digest).toBe(sha256Hex(payload));
    expect(memory.size).toBe(2);
    expect(sizes).toEqual([1, 2, 3, 4, 5].map(() => 1 << 20).concat([123]));
    expect(await countOpenFds()).toBe(before);
  });

  it('closes the file when the consumer leaves early, and stops on abort', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'data.bin');
    await writeFile(path, randomBytes(4 << 20));
    const before = await countOpenFds();
    for await (const _ of readFileChunks(path, { chunkBytes: 1 << 20 })) break;
    expect(await countOpenFds()).toBe(before);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(consume(readFileChunks(path, { signal: controller.signal }))).rejects.toThrow('stop');
    expect(() => readFileChunks(path, { chunkBytes: 0 })).toThrow(
      'readFileChunks options.chunkBytes: expected a positive integer, got 0',
    );
  });

  it('goes to a sink marked with releasesChunks without a copy, and to any other as copies', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'data.bin');
    const payload = randomBytes(3 << 20);
    await writeFile(path, payload);
    const seen = (mark: boolean) => {
      const memory = new Set<ArrayBufferLike>();
      const kept: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _e, callback) {
          memory.add(chunk.buffer);
          kept.push(chunk);
          callback();
        },
      });
      return { sink: mark ? releasesChunks(sink) : sink, memory, kept };
    };
    const marked = seen(true);
    await createStreamConnector({
      input: readFileChunks(path, { chunkBytes: 256 << 10 }),
      output: marked.sink,
    }).start();
    expect(marked.memory.size).toBe(2);
    const plain = seen(false);
    await createStreamConnector({
      input: readFileChunks(path, { chunkBytes: 256 << 10 }),
      output: plain.sink,
    }).start();
    expect(plain.memory.size).toBeGreaterThan(2);
    expect(Buffer.concat(plain.kept).equals(payload)).toBe(true);
  });
});
