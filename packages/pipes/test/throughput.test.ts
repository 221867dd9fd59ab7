import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { assertNoLeaks, writeRandomFile } from '@girder-worker/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStreamConnector } from '../src/connector.ts';
import { openFifoReader } from '../src/fifo-reader.ts';
import { openFifoWriter } from '../src/fifo-writer.ts';
import { delay, makeFifo, sh, stdoutOf } from './helpers.ts';

const GIB = 1 << 30;
let fixtureDir: string;
let bigFile: string;
let bigHash: string;

beforeAll(async () => {
  fixtureDir = await mkdtemp(join(tmpdir(), 'gw-fixture-'));
  bigFile = join(fixtureDir, 'one-gib.bin');
  bigHash = await writeRandomFile(bigFile, GIB);
}, 120_000);

afterAll(() => rm(fixtureDir, { recursive: true, force: true }));
afterEach(() => assertNoLeaks({ containers: false }));

/** Runs `fn` while sampling this process's RSS every 20 ms; returns the peak. */
async function peakRssDuring(fn: () => Promise<void>): Promise<number> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss());
}

/**
 * Memory must not grow with the data: the peak while moving 1 GiB may exceed the peak of the
 * same transfer of 32 MiB just before (the baseline: every buffer and pool already there) by
 * no more than this margin, which holds on a loaded machine. Absolute figures are in bench/.
 */
const RSS_MARGIN = 64 << 20;
const BASELINE_BYTES = 32 << 20;

/** A consumer process that reads the FIFO 64 KiB at a time and sleeps 20 ms after every 4 MiB. */
const SLOW_CONSUMER = `
const { createReadStream } = require('node:fs');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
const stream = createReadStream(process.argv[1], { highWaterMark: 65536 });
let sinceNap = 0;
stream.on('data', (chunk) => {
  hash.update(chunk);
  sinceNap += chunk.length;
  if (sinceNap >= 4 << 20) {
    sinceNap = 0;
    stream.pause();
    setTimeout(() => stream.resume(), 20);
  }
});
stream.on('end', () => process.stdout.write(hash.digest('hex')));
`;

describe('1 GiB through a FIFO', () => {
  it('arrives byte-exact at a fast consumer process (file → connector → FIFO → sha256sum)', async () => {
    const fifo = await makeFifo();
    const consumer = sh('sha256sum "$F"', { F: fifo });
    const connector = createStreamConnector({
      name: 'one-gib → fifo',
      input: createReadStream(bigFile),
      output: ({ signal, until }) => openFifoWriter(fifo, { signal, until }),
      until: consumer.exited,
    });
    const { bytesMoved } = await connector.start();
    expect(bytesMoved).toBe(GIB);
    expect((await stdoutOf(consumer)).split(' ')[0]).toBe(bigHash);
    expect(await consumer.exited).toBe(0);
  });

  it('arrives byte-exact at a deliberately slow consumer process while RSS stays flat', async () => {
    const feedSlowConsumer = async (end: number): Promise<{ digest: string; written: number }> => {
      const fifo = await makeFifo();
      const consumer = spawn(process.execPath, ['-e', SLOW_CONSUMER, fifo], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const output = (async () => {
        let text = '';
        for await (const chunk of consumer.stdout) text += String(chunk);
        return text;
      })();
      const exited = once(consumer, 'exit');
      const writer = openFifoWriter(fifo, { until: exited });
      await pipeline(createReadStream(bigFile, { end: end - 1 }), writer);
      return { digest: await output, written: writer.bytesWritten };
    };
    let small = { digest: '', written: 0 };
    let big = { digest: '', written: 0 };
    const baseline = await peakRssDuring(async () => {
      small = await feedSlowConsumer(BASELINE_BYTES);
    });
    const peak = await peakRssDuring(async () => {
      big = await feedSlowConsumer(GIB);
    });
    expect(small.written).toBe(BASELINE_BYTES);
    expect(big.digest).toBe(bigHash);
    expect(big.written).toBe(GIB);
    expect(peak - baseline).toBeLessThan(RSS_MARGIN);
  });

  it('is read byte-exact from a producer process by a slow in-process consumer while RSS stays flat', async () => {
    const readSlowly = async (bytes: number): Promise<{ digest: string; read: number }> => {
      const fifo = await makeFifo();
      const producer = sh('head -c "$N" "$SRC" > "$F"', { N: String(bytes), SRC: bigFile, F: fifo });
      const hash = createHash('sha256');
      let sinceNap = 0;
      const reader = openFifoReader(fifo, { until: producer.exited });
      await pipeline(reader, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          hash.update(chunk);
          sinceNap += chunk.length;
          if (sinceNap >= 4 << 20) {
            sinceNap = 0;
            await delay(20);
          }
        }
      });
      expect(await producer.exited).toBe(0);
      return { digest: hash.digest('hex'), read: reader.bytesRead };
    };
    let big = { digest: '', read: 0 };
    const baseline = await peakRssDuring(async () => {
      expect((await readSlowly(BASELINE_BYTES)).read).toBe(BASELINE_BYTES);
    });
    const peak = await peakRssDuring(async () => {
      big = await readSlowly(GIB);
    });
    expect(big.digest).toBe(bigHash);
    expect(big.read).toBe(GIB);
    expect(peak - baseline).toBeLessThan(RSS_MARGIN);
  });
});
