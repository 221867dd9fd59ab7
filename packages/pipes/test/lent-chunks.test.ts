import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { assertNoLeaks, sha256Hex } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamConnector } from '../src/connector.ts';
import { isConnectorError } from '../src/errors.ts';
import { openFifoWriter } from '../src/fifo-writer.ts';
import { isLentChunks, LentChunks, releasesChunks } from '../src/lent-chunks.ts';
import { collector, delay, makeFifo, sh, stdoutOf } from './helpers.ts';

afterEach(() => assertNoLeaks({ containers: false }));

/**
 * Lends `payload` in pieces of `size` bytes through ONE reused buffer, as a download does: a
 * consumer that keeps a chunk past the next step would see it overwritten. Records whether the
 * iteration was closed early.
 */
function lender(payload: Buffer, size: number, options: { failAt?: number } = {}) {
  const state = { returned: false, steps: 0 };
  const buffer = Buffer.alloc(size);
  let at = 0;
  const iterator: AsyncIterableIterator<Uint8Array> = {
    next: async () => {
      await delay(0);
      if (options.failAt !== undefined && at >= options.failAt) throw new Error('the download broke');
      if (at >= payload.length) return { done: true, value: undefined };
      const n = payload.copy(buffer, 0, at, at + size);
      at += n;
      state.steps++;
      return { done: false, value: buffer.subarray(0, n) };
    },
    return: async () => {
      state.returned = true;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return { source: new LentChunks(iterator), state };
}

describe('LentChunks through a connector', () => {
  it('is recognised by brand, and refuses what is not an async iterable', () => {
    expect(isLentChunks(lender(Buffer.alloc(1), 1).source)).toBe(true);
    expect(isLentChunks({ [Symbol.asyncIterator]: () => ({}) })).toBe(false);
    expect(() => new LentChunks(42 as never)).toThrow(
      'LentChunks chunks: expected an async iterable of byte chunks',
    );
  });

  it('writes lent chunks into a FIFO byte-exact, each done before the next is asked for', async () => {
    const fifo = await makeFifo();
    const payload = randomBytes(5_000_000);
    const { source, state } = lender(payload, 256 * 1024 + 17);
    const consumer = sh('sha256sum "$F"', { F: fifo });
    const connector = createStreamConnector({
      input: source,
      output: ({ signal }) => openFifoWriter(fifo, { signal, until: consumer.exited }),
    });
    expect((await connector.start()).bytesMoved).toBe(payload.length);
    expect((await stdoutOf(consumer)).split(' ')[0]).toBe(sha256Hex(payload));
    expect(state.steps).toBe(Math.ceil(payload.length / (256 * 1024 + 17)));
    expect(state.returned).toBe(false);
  });

  it('copies lent chunks for a sink that may keep them', async () => {
    const payload = randomBytes(300_000);
    const { source } = lender(payload, 10_000);
    const { sink, data } = collector();
    const result = await createStreamConnector({ input: source, output: sink }).start();
    expect(result.bytesMoved).toBe(payload.length);
    // Without a copy every kept chunk would show the lender's last bytes.
    expect(data().equals(payload)).toBe(true);
  });

  it('reports an input failure on the input side and destroys the sink', async () => {
    const { source } = lender(randomBytes(100_000), 10_000, { failAt: 50_000 });
    const { sink } = collector();
    const error = await createStreamConnector({ input: source, output: sink, name: 'lent' })
      .start()
      .catch((e: unknown) => e);
    expect(isConnectorError(error)).toBe(true);
    expect(error).toMatchObject({ side: 'input', bytesMoved: 50_000 });
    expect(String((error as Error).cause)).toContain('the download broke');
    expect(sink.destroyed).toBe(true);
  });

  it('reports an output failure on the output side and closes the lender', async () => {
    const { source, state } = lender(randomBytes(100_000), 10_000);
    let writes = 0;
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(++writes === 3 ? new Error('disk full') : null);
      },
    });
    const error = await createStreamConnector({ input: source, output: sink })
      .start()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ side: 'output', bytesMoved: 20_000 });
    expect(String((error as Error).cause)).toContain('disk full');
    expect(state.returned).toBe(true);
  });

  it('stops on abort with the reason, closing the lender and a FIFO writer whose reader is slow', async () => {
    const fifo = await makeFifo();
    const { source, state } = lender(randomBytes(50_000_000), 1 << 20);
    // A reader that holds the FIFO open and never reads: the writer is stuck mid-chunk at the abort.
    sh('sleep 5 < "$F"', { F: fifo });
    const controller = new AbortController();
    const connector = createStreamConnector({
      input: source,
      output: ({ signal }) => openFifoWriter(fifo, { signal }),
      signal: controller.signal,
    });
    const done = connector.start().catch((e: unknown) => e);
    await delay(200);
    controller.abort(new Error('run cancelled'));
    expect(((await done) as Error).message).toBe('run cancelled');
    expect(state.returned).toBe(true);
    expect(connector.bytesMoved).toBe(0);
  });
});

describe('LentChunks memory', () => {
  it('holds nothing per chunk: mid-transfer, the heap after 200 000 chunks is where it was after 20 000', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const chunk = Buffer.alloc(16);
    let produced = 0;
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: async () =>
        produced++ < 200_000 ? { done: false, value: chunk } : { done: true, value: undefined },
      [Symbol.asyncIterator]: () => iterator,
    };
    const heap = new Map<number, number>();
    let written = 0;
    const sink = releasesChunks(
      new Writable({
        write(_chunk, _encoding, callback) {
          written++;
          if (written === 20_000 || written === 200_000) {
            gc();
            heap.set(written, getHeapStatistics().used_heap_size);
          }
          setImmediate(callback); // as real I/O does
        },
      }),
    );
    const connector = createStreamConnector({ input: new LentChunks(iterator), output: sink });
    expect((await connector.start()).bytesMoved).toBe(200_000 * 16);
    // Anything kept per chunk while the transfer runs (e.g. a reaction on a long-lived promise,
    // as a Promise.race against the abort would add) grows it by ~150 MiB here.
    expect((heap.get(200_000) as number) - (heap.get(20_000) as number)).toBeLessThan(16 << 20);
  });
});
