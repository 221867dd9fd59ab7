import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertNoLeaks, countOpenFds, hashStream, makeTempDir } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { isFifoPeerClosedError, isFifoPeerMissingError, isPipeError } from '../src/errors.ts';
import { openFifoReader } from '../src/fifo-reader.ts';
import { openFifoWriter } from '../src/fifo-writer.ts';
import { mkfifo } from '../src/mkfifo.ts';
import { delay, makeFifo, sh, stdoutOf } from './helpers.ts';

afterEach(() => assertNoLeaks({ containers: false }));

/** Chunks of awkward sizes so that partial pipe writes happen all the time. */
function* oddChunks(total: number): Generator<Buffer> {
  const sizes = [1, 7, 4093, 65537, 300_001, 1 << 20];
  let left = total;
  for (let i = 0; left > 0; i++) {
    const size = Math.min(left, sizes[i % sizes.length] as number);
    yield randomBytes(size);
    left -= size;
  }
}

describe('openFifoReader', () => {
  it('waits for a writer that arrives late and reads everything it writes', async () => {
    const fifo = await makeFifo();
    const reader = openFifoReader(fifo);
    const text = (async () => {
      let out = '';
      for await (const chunk of reader) out += String(chunk);
      return out;
    })();
    await delay(300);
    expect(reader.readableEnded).toBe(false);
    const writer = sh('sleep 0.2; { printf first; sleep 0.3; printf second; } > "$F"', { F: fifo });
    expect(await text).toBe('firstsecond');
    expect(await writer.exited).toBe(0);
  });

  it('reads data a writer left in the pipe, then ends, when until settles after the writer exited', async () => {
    const fifo = await makeFifo();
    const payload = randomBytes(30_000);
    const writer = sh('cat > "$F"', { F: fifo });
    writer.stdin?.end(payload);
    // The writer blocks until a reader opens; the reader is told right away that the writer is done.
    const reader = openFifoReader(fifo, { until: delay(500) });
    const data = Buffer.concat(await reader.toArray());
    expect(data.equals(payload)).toBe(true);
  });

  it('fails with FifoPeerMissingError when until settles and no writer ever came', async () => {
    const fifo = await makeFifo();
    const reader = openFifoReader(fifo, { until: delay(100) });
    const error = await reader.toArray().catch((e: unknown) => e);
    expect(isFifoPeerMissingError(error)).toBe(true);
    expect((error as { missing: string }).missing).toBe('writer');
  });

  it('ends empty when until settles without a writer and onMissingWriter is end', async () => {
    const fifo = await makeFifo();
    const reader = openFifoReader(fifo, { until: delay(100), onMissingWriter: 'end' });
    expect(await reader.toArray()).toEqual([]);
  });

  it('ends cleanly with what arrived when the writer exits early', async () => {
    const fifo = await makeFifo();
    const reader = openFifoReader(fifo);
    const writer = sh('head -c 1234 /dev/zero > "$F"', { F: fifo });
    const data = Buffer.concat(await reader.toArray());
    expect(data.length).toBe(1234);
    expect(await writer.exited).toBe(0);
  });

  it('stops on abort while no writer exists, without leaking its descriptor', async () => {
    const fifo = await makeFifo();
    const before = await countOpenFds();
    const controller = new AbortController();
    const reader = openFifoReader(fifo, { signal: controller.signal });
    const result = reader.toArray().catch((e: unknown) => e);
    await delay(100);
    controller.abort(new Error('stop waiting'));
    expect(((await result) as Error).message).toBe('stop waiting');
    await delay(20);
    expect(await countOpenFds()).toBe(before);
  });

  it('rejects a path that is not a FIFO', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'plain');
    await writeFile(file, 'x');
    const error = await openFifoReader(file)
      .toArray()
      .catch((e: unknown) => e);
    expect(isPipeError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('GW_NOT_A_FIFO');
  });
});

describe('openFifoWriter', () => {
  it('waits for a reader that arrives late and delivers every byte of odd-sized chunks', async () => {
    const fifo = await makeFifo();
    const hash = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (const chunk of oddChunks(24 << 20)) {
          hash.update(chunk);
          yield chunk;
        }
      })(),
    );
    const writer = openFifoWriter(fifo);
    const done = pipeline(source, writer);
    await delay(300);
    expect(writer.opened).toBe(false);
    const reader = sh('sha256sum "$F"', { F: fifo });
    await done;
    const [digest] = (await stdoutOf(reader)).split(' ');
    expect(digest).toBe(hash.digest('hex'));
    expect(writer.bytesWritten).toBe(24 << 20);
  });

  it('fails with FifoPeerMissingError when until settles and no reader ever came', async () => {
    const fifo = await makeFifo();
    const writer = openFifoWriter(fifo, { until: delay(150) });
    const error = await pipeline(Readable.from([Buffer.from('x')]), writer).catch((e: unknown) => e);
    expect(isFifoPeerMissingError(error)).toBe(true);
    expect((error as { missing: string }).missing).toBe('reader');
  });

  it('fails with FifoPeerClosedError when the reader exits early', async () => {
    const fifo = await makeFifo();
    const reader = sh('head -c 1000 "$F" > /dev/null', { F: fifo });
    const writer = openFifoWriter(fifo);
    const error = await pipeline(Readable.from(oddChunks(64 << 20)), writer).catch((e: unknown) => e);
    expect(isFifoPeerClosedError(error)).toBe(true);
    expect((error as { bytesWritten: number }).bytesWritten).toBeLessThan(64 << 20);
    expect(await reader.exited).toBe(0);
  });

  it('stops on abort while no reader exists, without leaking a descriptor', async () => {
    const fifo = await makeFifo();
    const before = await countOpenFds();
    const controller = new AbortController();
    const writer = openFifoWriter(fifo, { signal: controller.signal });
    const done = pipeline(Readable.from([Buffer.from('never read')]), writer).catch((e: unknown) => e);
    await delay(200);
    controller.abort(new Error('no reader'));
    expect(((await done) as Error).message).toBe('no reader');
    await delay(20);
    expect(await countOpenFds()).toBe(before);
  });

  it('stops when destroyed while waiting for a reader', async () => {
    const fifo = await makeFifo();
    const writer = openFifoWriter(fifo);
    await delay(50);
    writer.destroy();
    await new Promise((resolve) => writer.once('close', resolve));
    expect(writer.opened).toBe(false);
  });
});

describe('waiting for the other side', () => {
  // How long the loop lags and how fast files read meanwhile is measured in bench/wait-lag.ts;
  // here only what holds on a loaded machine: everything below happens while no peer exists.
  it('keeps the event loop and the thread pool free while 16 pipes wait for their peers', async () => {
    const dir = await makeTempDir();
    const fifos = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const path = join(dir, `p${i}`);
        await mkfifo(path);
        return path;
      }),
    );
    const payloads = fifos.map(() => randomBytes(100_000));
    let settledEarly = 0;
    // 8 writers (peers: late readers) and 8 readers (peers: late writers).
    const transfers = fifos.map((fifo, i) => {
      const transfer: Promise<string> =
        i % 2 === 0
          ? pipeline(Readable.from([payloads[i] as Buffer]), openFifoWriter(fifo)).then(() => 'written')
          : hashStream(openFifoReader(fifo));
      return transfer.finally(() => settledEarly++);
    });

    // 16 blocking opens would hold libuv's 4 pool threads and these reads would never finish;
    // one on the main thread would stop the timers.
    let ticks = 0;
    const interval = setInterval(() => ticks++, 10);
    for (let i = 0; i < 20; i++) await readFile(new URL(import.meta.url));
    await delay(300);
    clearInterval(interval);
    expect(ticks).toBeGreaterThan(0);
    expect(settledEarly).toBe(0);

    const peers = fifos.map((fifo, i) =>
      i % 2 === 0 ? sh('sha256sum "$F"', { F: fifo }) : sh('cat > "$F"', { F: fifo }),
    );
    for (const [i, peer] of peers.entries()) if (i % 2 === 1) peer.stdin?.end(payloads[i]);
    const results = await Promise.all(transfers);
    for (const [i, peer] of peers.entries()) {
      const expected = createHash('sha256')
        .update(payloads[i] as Buffer)
        .digest('hex');
      if (i % 2 === 0) expect((await stdoutOf(peer)).split(' ')[0]).toBe(expected);
      else expect(results[i]).toBe(expected);
    }
  });
});
