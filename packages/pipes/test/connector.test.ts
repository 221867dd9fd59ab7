import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { assertNoLeaks, hashStream } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamConnector } from '../src/connector.ts';
import { isConnectorError } from '../src/errors.ts';
import { openFifoReader } from '../src/fifo-reader.ts';
import { openFifoWriter } from '../src/fifo-writer.ts';
import { collector, delay, makeFifo, sh, stdoutOf } from './helpers.ts';

afterEach(() => assertNoLeaks({ containers: false }));

describe('StreamConnector', () => {
  it('moves an async iterable into a sink and counts the bytes', async () => {
    const payload = randomBytes(100_000);
    const { sink, data } = collector();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < payload.length; i += 9_999) yield payload.subarray(i, i + 9_999);
    }
    const connector = createStreamConnector({ input: chunks(), output: sink });
    expect(connector.started).toBe(false);
    const result = await connector.start();
    expect(result.bytesMoved).toBe(payload.length);
    expect(connector.bytesMoved).toBe(payload.length);
    expect(data().equals(payload)).toBe(true);
  });

  it('calls source and sink factories only at start, with its signal and until', async () => {
    const seen: string[] = [];
    const until = delay(10_000);
    const { sink } = collector();
    const connector = createStreamConnector({
      input: (options) => {
        seen.push(`input:${options.signal instanceof AbortSignal}:${options.until === until}`);
        return Readable.from([Buffer.from('abc')]);
      },
      output: async (options) => {
        seen.push(`output:${options.signal instanceof AbortSignal}:${options.until === until}`);
        return sink;
      },
      until,
    });
    expect(seen).toEqual([]);
    await connector.start();
    expect(seen).toEqual(['input:true:true', 'output:true:true']);
  });

  it('reports an input failure as a ConnectorError on the input side', async () => {
    const { sink } = collector();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('some');
      throw new Error('download broke');
    }
    const connector = createStreamConnector({ name: 'girder file → pipe', input: failing(), output: sink });
    const error = await connector.start().catch((e: unknown) => e);
    expect(isConnectorError(error)).toBe(true);
    expect(error).toMatchObject({ side: 'input', connector: 'girder file → pipe', bytesMoved: 4 });
    expect((error as Error).message).toContain('input side');
    expect((error as Error).message).toContain('download broke');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('reports an output failure as a ConnectorError on the output side', async () => {
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    const connector = createStreamConnector({ input: Readable.from([Buffer.from('x')]), output: sink });
    const error = await connector.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectorError', side: 'output' });
    expect((error as Error).message).toContain('disk full');
  });

  it('reports a factory that throws on the side it belongs to', async () => {
    const failingOutput = createStreamConnector({
      input: Readable.from([Buffer.from('x')]),
      output: () => {
        throw new Error('no such upload target');
      },
    });
    expect(await failingOutput.start().catch((e: unknown) => e)).toMatchObject({ side: 'output' });
    const failingInput = createStreamConnector({
      input: async () => {
        throw new Error('no such file');
      },
      output: collector().sink,
    });
    expect(await failingInput.start().catch((e: unknown) => e)).toMatchObject({ side: 'input' });
  });

  it('rejects with the abort reason and tears down a FIFO writer still waiting for its reader', async () => {
    const fifo = await makeFifo();
    const controller = new AbortController();
    const connector = createStreamConnector({
      input: Readable.from([Buffer.from('never read')]),
      output: ({ signal }) => openFifoWriter(fifo, { signal }),
      signal: controller.signal,
    });
    const done = connector.start().catch((e: unknown) => e);
    await delay(100);
    controller.abort(new Error('run cancelled'));
    expect(((await done) as Error).message).toBe('run cancelled');
  });

  it('close() stops a running transfer and settles done; it is idempotent', async () => {
    const fifo = await makeFifo();
    const connector = createStreamConnector({
      input: ({ signal }) => openFifoReader(fifo, { signal }),
      output: collector().sink,
    });
    void connector.start();
    await delay(50);
    await Promise.all([connector.close(), connector.close()]);
    expect(await connector.done.catch((e: unknown) => (e as Error).name)).toBe('AbortError');
  });

  it('close() before start destroys given streams and rejects done', async () => {
    const input = Readable.from([Buffer.from('x')]);
    const connector = createStreamConnector({ input, output: collector().sink });
    await connector[Symbol.asyncDispose]();
    expect(input.destroyed).toBe(true);
    await expect(connector.done).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('carries a FIFO in both directions between two processes byte-exact', async () => {
    const inFifo = await makeFifo('in');
    const outFifo = await makeFifo('out');
    const payload = randomBytes(3_000_000);
    const producer = sh('cat > "$F"', { F: outFifo });
    producer.stdin?.end(payload);
    const consumer = sh('sha256sum "$F"', { F: inFifo });
    const connector = createStreamConnector({
      input: ({ signal }) => openFifoReader(outFifo, { signal, until: producer.exited }),
      output: ({ signal }) => openFifoWriter(inFifo, { signal, until: consumer.exited }),
    });
    expect((await connector.start()).bytesMoved).toBe(payload.length);
    expect((await stdoutOf(consumer)).split(' ')[0]).toBe(await hashStream(Readable.from([payload])));
  });

  it('rejects inputs and outputs of unusable types', () => {
    expect(() => createStreamConnector({ input: 42 as never, output: collector().sink })).toThrow(
      /options\.input: expected a Readable/,
    );
    expect(() => createStreamConnector({ input: Readable.from([]), output: {} as never })).toThrow(
      /options\.output: expected a Writable/,
    );
  });
});
