// The pump thread that reads an output FIFO with blocking reads (FifoReadStream.lend(), through a
// Connect from a NamedOutputPipe): into a file (the thread writes it itself) and into a JS sink
// (shared slabs lent), with real containers writing the FIFO.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { assertNoLeaks, makeTempDir, testDocker, waitFor } from '@girder-worker/test-helpers';
import {
  createTransformContext,
  TemporaryVolume,
  Transform,
  type TransformContext,
} from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Connect,
  HostFileSink,
  isConnectorError,
  NamedOutputPipe,
  releasesChunks,
  type StreamSink,
} from '../src/index.ts';
import { startDataContainer } from './helpers.ts';

/** A given Writable as the output side of a Connect. */
class GivenSink extends Transform<StreamSink> {
  static readonly kind = 'GivenSink';
  readonly #sink: Writable;
  constructor(sink: Writable) {
    super();
    this.#sink = sink;
  }
  override transform(): StreamSink {
    return () => this.#sink;
  }
  override toJSON(): Record<string, unknown> {
    return {};
  }
}

const started: Docker.Container[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.remove({ force: true }).catch(() => {})));
  await assertNoLeaks();
});

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Threads of this process (the pump thread is one while it runs). */
async function threads(): Promise<number> {
  return (await readdir('/proc/self/task')).length;
}

interface Run {
  ctx: TransformContext;
  dir: string;
  exited: Promise<number>;
  done(): Promise<void>;
}

/** A run whose container (`sh -c script`, `dir` at /data) starts once `pipe` exists. */
async function run(pipeName: string, script: string, prepare?: (dir: string) => Promise<void>) {
  const dir = await makeTempDir();
  const temporaryVolume = new TemporaryVolume({ hostDir: await makeTempDir() });
  await temporaryVolume.create();
  const ctx = createTransformContext({ temporaryVolume });
  const pipe = new NamedOutputPipe(pipeName, { hostPath: dir, containerPath: '/data' });
  await prepare?.(dir);
  return {
    pipe,
    async start(): Promise<Run> {
      await pipe.transform(ctx);
      const { exited } = await startDataContainer(dir, ['sh', '-c', script], 'pipes-pump', started);
      return {
        ctx,
        dir,
        exited,
        async done() {
          await pipe.cleanup(ctx);
          await temporaryVolume.remove();
        },
      };
    },
  };
}

/** A sink marked `releasesChunks` hashing what it gets (it keeps nothing). */
function hashingSink(): { sink: Writable; digest(): string; bytes(): number } {
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = releasesChunks(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        bytes += chunk.length;
        callback();
      },
    }),
  );
  return { sink, digest: () => hash.digest('hex'), bytes: () => bytes };
}

describe('the pump thread of an output pipe', () => {
  it('drains what a container writes into a HostFileSink, byte-exact, and leaves no thread behind', async () => {
    const payload = randomBytes((24 << 20) + 12_345);
    const setup = await run('out.fifo', 'cat /data/payload > /data/out.fifo', (dir) =>
      writeFile(join(dir, 'payload'), payload),
    );
    const before = await threads();
    const { ctx, dir, exited, done } = await setup.start();
    try {
      const target = join(dir, 'result.bin');
      const connect = new Connect(setup.pipe, new HostFileSink(target));
      const connector = await connect.connector(ctx, { until: exited });
      expect((await connector.start()).bytesMoved).toBe(payload.length);
      expect(await exited).toBe(0);
      expect(sha256(await readFile(target))).toBe(sha256(payload));
      expect(await threads()).toBeLessThanOrEqual(before);
    } finally {
      await done();
    }
  });

  it('lends what a container writes to a JS sink marked releasesChunks, byte-exact', async () => {
    const payload = randomBytes((9 << 20) + 777);
    const setup = await run('out.fifo', 'cat /data/payload > /data/out.fifo', (dir) =>
      writeFile(join(dir, 'payload'), payload),
    );
    const { ctx, exited, done } = await setup.start();
    try {
      const hashing = hashingSink();
      const connector = createConnector(setup.pipe, ctx, exited, hashing.sink);
      expect((await (await connector).start()).bytesMoved).toBe(payload.length);
      expect(hashing.digest()).toBe(sha256(payload));
      expect(await exited).toBe(0);
    } finally {
      await done();
    }
  });

  it('boots the pump thread of a JS sink when the connector is built, and stops it when closed unstarted', async () => {
    const dir = await makeTempDir();
    const temporaryVolume = new TemporaryVolume({ hostDir: await makeTempDir() });
    await temporaryVolume.create();
    const ctx = createTransformContext({ temporaryVolume });
    const pipe = new NamedOutputPipe('out.fifo', { hostPath: dir, containerPath: '/data' });
    try {
      // The FIFO first (its creation may start libuv's thread pool, which stays).
      await pipe.transform(ctx);
      const before = await threads();
      const fileSink = await new Connect(pipe, new HostFileSink(join(dir, 'result.bin'))).connector(ctx);
      // A host file is drained by `cat`: no thread for it.
      expect(await threads()).toBe(before);
      const jsSink = await new Connect(pipe, new GivenSink(hashingSink().sink)).connector(ctx);
      expect(await threads()).toBeGreaterThan(before);
      await jsSink.close();
      await fileSink.close();
      await expect(jsSink.done).rejects.toThrow();
      await waitFor(async () => (await threads()) <= before, 'the booted thread to stop', 20_000);
    } finally {
      await pipe.cleanup(ctx);
      await temporaryVolume.remove();
    }
  });

  it('hands a slow writer its bytes before a slab fills, and stops on abort while blocked in a read', async () => {
    // The container writes 4 bytes, then keeps the FIFO open and writes nothing more.
    const setup = await run('out.fifo', 'exec 3>/data/out.fifo; printf abcd >&3; sleep 600');
    const { ctx, exited, done } = await setup.start();
    try {
      const controller = new AbortController();
      let got = '';
      const sink = releasesChunks(
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            got += chunk.toString();
            // Everything the writer will ever write has come: cancel while the pump waits for more.
            if (got === 'abcd') controller.abort(new Error('cancelled by the test'));
            callback();
          },
        }),
      );
      const connector = await new Connect(setup.pipe, new GivenSink(sink)).connector(ctx, {
        until: exited,
        signal: controller.signal,
      });
      const error = await connector.start().catch((e: unknown) => e);
      expect((error as Error).message).toBe('cancelled by the test');
      expect(got).toBe('abcd');
      // No read end is left: the container's next write fails (SIGPIPE) instead of blocking.
      await testDocker()
        .getContainer((started[0] as Docker.Container).id)
        .kill({ signal: 'SIGKILL' });
      expect(await exited).not.toBe(0);
    } finally {
      await done();
    }
  });

  it('stops draining into a file on abort mid-stream, closing every descriptor', async () => {
    const setup = await run('out.fifo', 'cat /dev/zero > /data/out.fifo');
    const { ctx, dir, exited, done } = await setup.start();
    try {
      const controller = new AbortController();
      const connect = new Connect(setup.pipe, new HostFileSink(join(dir, 'result.bin')));
      const connector = await connect.connector(ctx, { until: exited, signal: controller.signal });
      const moving = connector.start().catch((e: unknown) => e);
      while (connector.bytesMoved < 8 << 20) await new Promise((resolve) => setTimeout(resolve, 10));
      controller.abort(new Error('stop'));
      expect(((await moving) as Error).message).toBe('stop');
      // Every read end is closed: the endless writer gets SIGPIPE and exits on its own.
      expect(await exited).not.toBe(0);
    } finally {
      await done();
    }
  });

  it('stops the pump thread on abort mid-stream into a JS sink, closing every descriptor', async () => {
    const setup = await run('out.fifo', 'cat /dev/zero > /data/out.fifo');
    const { ctx, exited, done } = await setup.start();
    try {
      const controller = new AbortController();
      const hashing = hashingSink();
      const connector = await new Connect(setup.pipe, new GivenSink(hashing.sink)).connector(ctx, {
        until: exited,
        signal: controller.signal,
      });
      const moving = connector.start().catch((e: unknown) => e);
      while (hashing.bytes() < 8 << 20) await new Promise((resolve) => setTimeout(resolve, 10));
      controller.abort(new Error('stop'));
      expect(((await moving) as Error).message).toBe('stop');
      expect(await exited).not.toBe(0);
    } finally {
      await done();
    }
  });

  it('reports a file that cannot be written (/dev/full) as a failure of the output side', async () => {
    const setup = await run('out.fifo', 'head -c 3000000 /dev/zero > /data/out.fifo');
    const { ctx, exited, done } = await setup.start();
    try {
      const connector = await new Connect(setup.pipe, new HostFileSink('/dev/full')).connector(ctx, {
        until: exited,
      });
      const error = await connector.start().catch((e: unknown) => e);
      expect(isConnectorError(error), String(error)).toBe(true);
      expect((error as { side: string }).side).toBe('output');
      expect(String((error as Error).message)).toMatch(/no space left on device/i);
      await exited;
    } finally {
      await done();
    }
  });

  it('keeps reading its own FIFO after the container swaps the path for a link, and follows nothing', async () => {
    const payload = randomBytes(3 << 20);
    const setup = await run(
      'out.fifo',
      'exec 3>/data/out.fifo; cat /data/payload >&3; rm /data/out.fifo; ln -s /data/victim /data/out.fifo; cat /data/payload >&3',
      async (dir) => {
        await writeFile(join(dir, 'payload'), payload);
        await writeFile(join(dir, 'victim'), 'not for the host to touch');
      },
    );
    const { ctx, dir, exited, done } = await setup.start();
    try {
      const target = join(dir, 'result.bin');
      const connector = await new Connect(setup.pipe, new HostFileSink(target)).connector(ctx, {
        until: exited,
      });
      expect((await connector.start()).bytesMoved).toBe(2 * payload.length);
      expect(await exited).toBe(0);
      expect(sha256(await readFile(target))).toBe(sha256(Buffer.concat([payload, payload])));
      expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('not for the host to touch');
    } finally {
      await done();
    }
  });
});

/** A connector from `pipe` into a given Writable (as a Connect with a sink transform). */
function createConnector(
  pipe: NamedOutputPipe,
  ctx: TransformContext,
  exited: Promise<number>,
  sink: Writable,
) {
  return new Connect(pipe, new GivenSink(sink)).connector(ctx, { until: exited });
}
