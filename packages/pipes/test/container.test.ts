import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { assertNoLeaks, hashStream, makeTempDir, sha256Hex } from '@girder-worker/test-helpers';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamConnector } from '../src/connector.ts';
import { isFifoPeerClosedError, isFifoPeerMissingError } from '../src/errors.ts';
import { openFifoReader } from '../src/fifo-reader.ts';
import { openFifoWriter } from '../src/fifo-writer.ts';
import { mkfifo } from '../src/mkfifo.ts';
import { startDataContainer } from './helpers.ts';

const started: Docker.Container[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.remove({ force: true }).catch(() => {})));
  await assertNoLeaks();
});

interface Started {
  container: Docker.Container;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  /** The container's output (stdout and stderr) once it exited. */
  logs(): Promise<string>;
}

/** Starts the test image with `dir` mounted at /data; removed after the test (before the leak check). */
async function runContainer(dir: string, cmd: string[]): Promise<Started> {
  const { container, exited } = await startDataContainer(dir, cmd, 'pipes-test', started);
  return {
    container,
    exited,
    async logs() {
      await exited;
      const raw = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
      // Strip the 8-byte multiplexing headers.
      const parts: Buffer[] = [];
      for (let offset = 0; offset + 8 <= raw.length; ) {
        const size = raw.readUInt32BE(offset + 4);
        parts.push(raw.subarray(offset + 8, offset + 8 + size));
        offset += 8 + size;
      }
      return Buffer.concat(parts).toString('utf8');
    },
  };
}

async function pipeDir(): Promise<string> {
  const dir = await makeTempDir();
  await chmod(dir, 0o777);
  return dir;
}

describe('FIFOs shared with a container', () => {
  it('streams 64 MiB into a container that reads the FIFO, byte-exact', async () => {
    const dir = await pipeDir();
    await mkfifo(join(dir, 'in'), { mode: 0o666 });
    const payload = randomBytes(64 << 20);
    const run = await runContainer(dir, ['sha256sum', '/data/in']);
    const connector = createStreamConnector({
      input: Readable.from([
        payload.subarray(0, 1),
        payload.subarray(1, 5_000_001),
        payload.subarray(5_000_001),
      ]),
      output: ({ signal }) => openFifoWriter(join(dir, 'in'), { signal, until: run.exited }),
    });
    expect((await connector.start()).bytesMoved).toBe(payload.length);
    expect(await run.exited).toBe(0);
    expect((await run.logs()).split(' ')[0]).toBe(sha256Hex(payload));
  });

  it('streams what a container writes into the FIFO out to the host', async () => {
    const dir = await pipeDir();
    await mkfifo(join(dir, 'out'), { mode: 0o666 });
    const run = await runContainer(dir, ['sh', '-c', 'seq 1 300000 > /data/out']);
    const digest = await hashStream(openFifoReader(join(dir, 'out'), { until: run.exited }));
    const expected = createHash('sha256')
      .update(execFileSync('seq', ['1', '300000'], { maxBuffer: 16 << 20 }))
      .digest('hex');
    expect(digest).toBe(expected);
    expect(await run.exited).toBe(0);
  });

  it('gives up with FifoPeerMissingError when the container exits without opening the pipe', async () => {
    const dir = await pipeDir();
    await mkfifo(join(dir, 'in'), { mode: 0o666 });
    await mkfifo(join(dir, 'out'), { mode: 0o666 });
    const run = await runContainer(dir, ['sh', '-c', 'sleep 0.3; exit 3']);
    const writer = openFifoWriter(join(dir, 'in'), { until: run.exited });
    const writeError = await new Promise((resolve) => {
      writer.on('error', resolve);
      writer.write(Buffer.from('never read'));
    });
    const readError = await openFifoReader(join(dir, 'out'), { until: run.exited })
      .toArray()
      .catch((e: unknown) => e);
    expect(isFifoPeerMissingError(writeError)).toBe(true);
    expect(isFifoPeerMissingError(readError)).toBe(true);
    expect(await run.exited).toBe(3);
  });

  it('fails with FifoPeerClosedError when the container stops reading early', async () => {
    const dir = await pipeDir();
    await mkfifo(join(dir, 'in'), { mode: 0o666 });
    const run = await runContainer(dir, ['sh', '-c', 'head -c 1000 /data/in > /dev/null']);
    const connector = createStreamConnector({
      input: Readable.from(
        (function* () {
          for (let i = 0; i < 1024; i++) yield Buffer.alloc(1 << 20, i);
        })(),
      ),
      output: ({ signal }) => openFifoWriter(join(dir, 'in'), { signal, until: run.exited }),
    });
    const error = await connector.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectorError', side: 'output' });
    expect(isFifoPeerClosedError((error as Error).cause)).toBe(true);
    expect(await run.exited).toBe(0);
  });
});
