import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { lstat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { assertNoLeaks, makeTempDir, sha256Hex } from '@girder-worker/test-helpers';
import {
  BindMountVolume,
  coreKinds,
  createRegistry,
  createTransformContext,
  type Logger,
  type Progress,
  revive,
  serialize,
  TemporaryVolume,
  Transform,
  type TransformContext,
  transformArguments,
} from '@girder-worker/transforms';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { ChunkedTransferEncodingStream } from '../src/chunked-transfer-encoding-stream.ts';
import { Connect, hasConnector } from '../src/connect.ts';
import { createStreamConnector, type StreamSource } from '../src/connector.ts';
import { isFifoPeerMissingError } from '../src/errors.ts';
import { pipesKinds } from '../src/kinds.ts';
import { NamedInputPipe, NamedOutputPipe } from '../src/named-pipe.ts';
import { ProgressPipe } from '../src/progress-pipe.ts';
import {
  ContainerStdErr,
  ContainerStdOut,
  HostStdErr,
  HostStdOut,
  isContainerStream,
} from '../src/std-streams.ts';
import { delay, sh, stdoutOf } from './helpers.ts';

afterEach(() => assertNoLeaks({ containers: false }));

/** A run context with its own temporary volume, removed when the test ends. */
async function runContext(
  extra: { logger?: Logger; progress?: Progress[]; signal?: AbortSignal } = {},
): Promise<TransformContext> {
  // Inside a test-owned fixture directory, so the leak check (which runs before onTestFinished)
  // does not count it; the pipes' own cleanup is asserted by the tests.
  const temporaryVolume = new TemporaryVolume({ hostDir: await makeTempDir() });
  await temporaryVolume.create();
  onTestFinished(() => temporaryVolume.remove());
  return createTransformContext({
    temporaryVolume,
    ...(extra.logger ? { logger: extra.logger } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
    reporter: { log() {}, progress: (p) => extra.progress?.push(p) },
  });
}

/** A source transform standing in for e.g. GirderFileIdToStream. */
class BytesSource extends Transform<StreamSource> {
  static readonly kind: string = 'BytesSource';
  readonly bytes: Buffer;
  constructor(bytes: Buffer) {
    super();
    this.bytes = bytes;
  }
  static fromJSON(): BytesSource {
    return new BytesSource(Buffer.alloc(0));
  }
  override transform(): StreamSource {
    return () => Readable.from([this.bytes]);
  }
  override toJSON(): Record<string, unknown> {
    return {};
  }
}

describe('NamedInputPipe and NamedOutputPipe', () => {
  it('create a FIFO in the run temporary volume and return its container path', async () => {
    const ctx = await runContext();
    const pipe = new NamedInputPipe('input.bin');
    const containerPath = await pipe.transform(ctx);
    expect(containerPath).toBe(`${ctx.temporaryVolume.containerPath}/input.bin`);
    expect(pipe.hostPath(ctx)).toBe(join(ctx.temporaryVolume.hostPath, 'input.bin'));
    const stats = await lstat(pipe.hostPath(ctx));
    expect(stats.isFIFO()).toBe(true);
    expect(stats.mode & 0o777).toBe(0o666);
    expect(await pipe.transform(ctx)).toBe(containerPath);
    await pipe.cleanup(ctx);
    await expect(lstat(pipe.hostPath(ctx))).rejects.toMatchObject({ code: 'ENOENT' });
    await pipe.cleanup(ctx);
  });

  it('use explicit host and container directories', async () => {
    const ctx = await runContext();
    const dir = await makeTempDir();
    const pipe = new NamedOutputPipe('out', { hostPath: dir, containerPath: '/data' });
    expect(await pipe.transform(ctx)).toBe('/data/out');
    expect((await lstat(join(dir, 'out'))).isFIFO()).toBe(true);
    await pipe.cleanup(ctx);
  });

  it('create a new temporary volume of their own before the FIFO', async () => {
    const ctx = await runContext();
    const volume = new TemporaryVolume({ hostDir: await makeTempDir() });
    const pipe = new NamedOutputPipe('out', { volume });
    expect(await pipe.transform(ctx)).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]+\/out$/);
    await pipe.cleanup(ctx);
    await volume.remove();
  });

  it('reject bad names and half-given directories', () => {
    expect(() => new NamedInputPipe('a/b')).toThrow(/without '\/'/);
    expect(() => new NamedInputPipe('..')).toThrow(/expected a file name/);
    expect(() => new NamedInputPipe('x', { hostPath: '/tmp' })).toThrow(/both hostPath and containerPath/);
    expect(
      () => new NamedInputPipe('x', { hostPath: '/a', containerPath: '/b', volume: TemporaryVolume.default }),
    ).toThrow(/not both/);
  });
});

describe('serialization', () => {
  it('round-trips every pipes kind through JSON, keeping shared volumes shared', () => {
    const volume = new BindMountVolume('/srv/data', '/data', 'rw');
    const input = new NamedInputPipe('in', { volume });
    const spec = {
      args: [
        new Connect(
          new NamedOutputPipe('out', { volume }),
          new ChunkedTransferEncodingStream('http://127.0.0.1:1/x', { 'Girder-Token': 't0k' }),
        ),
        new Connect(new BytesSource(Buffer.alloc(0)), input),
        new Connect(new ContainerStdOut(), new HostStdErr()),
        new Connect(new ContainerStdErr(), new HostStdOut()),
        new ProgressPipe(),
        new NamedOutputPipe('explicit', { hostPath: '/h', containerPath: '/c', mode: 0o600 }),
      ],
      volumes: [volume],
    };
    const json = JSON.parse(JSON.stringify(serialize(spec)));
    const revived = revive(json, createRegistry(coreKinds, pipesKinds, [BytesSource])) as typeof spec;
    expect(JSON.parse(JSON.stringify(serialize(revived)))).toEqual(json);
    const [upload, download, stdout, stderr, progress, explicit] = revived.args as [
      Connect,
      Connect,
      Connect,
      Connect,
      ProgressPipe,
      NamedOutputPipe,
    ];
    expect(upload.input).toBeInstanceOf(NamedOutputPipe);
    expect((upload.input as NamedOutputPipe).volume).toBe(revived.volumes[0]);
    expect((upload.output as ChunkedTransferEncodingStream).headers).toEqual({ 'Girder-Token': 't0k' });
    expect(download.output).toBeInstanceOf(NamedInputPipe);
    expect(isContainerStream(stdout.input)).toBe(true);
    expect(stderr.output).toBeInstanceOf(HostStdOut);
    expect(progress.volume).toBe(TemporaryVolume.default);
    expect(explicit).toMatchObject({ hostDir: '/h', containerDir: '/c', mode: 0o600 });
  });

  it('rejects a pipe name with a slash, naming the field', () => {
    const json = {
      $transform: 'NamedInputPipe',
      name: 'a/b',
      volume: { $transform: 'TemporaryVolume', default: true },
    };
    expect(() => revive([json], createRegistry(coreKinds, pipesKinds))).toThrow(
      /\[0\]\.name: expected a file name/,
    );
  });

  it('never shows header values in the display form', () => {
    const stream = new ChunkedTransferEncodingStream('https://girder.test/api/v1/file?token=abc', {
      'Girder-Token': 'very-secret',
    });
    const display = new Connect(new NamedOutputPipe('out'), stream).toString();
    expect(display).toBe(
      'Connect(NamedOutputPipe(out) → ChunkedTransferEncodingStream(POST https://girder.test/api/v1/file?token=***, headers: Girder-Token))',
    );
    expect(display).not.toContain('very-secret');
    expect(display).not.toContain('token=abc');
  });
});

describe('Connect', () => {
  it('becomes the pipe container path and streams a source into a reading process', async () => {
    const ctx = await runContext();
    const payload = randomBytes(2_000_000);
    const pipe = new NamedInputPipe('in');
    const connect = new Connect(new BytesSource(payload), pipe);
    expect(hasConnector(connect)).toBe(true);
    const args = await transformArguments(['--in', connect], ctx);
    expect(args.values).toEqual(['--in', `${ctx.temporaryVolume.containerPath}/in`]);
    const reader = sh('sha256sum "$F"', { F: pipe.hostPath(ctx) });
    const connector = await connect.connector(ctx, { until: reader.exited });
    expect((await connector.start()).bytesMoved).toBe(payload.length);
    expect((await stdoutOf(reader)).split(' ')[0]).toBe(sha256Hex(payload));
    await args.cleanup();
    await expect(lstat(pipe.hostPath(ctx))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('streams a NamedOutputPipe to a chunked HTTP upload', async () => {
    const ctx = await runContext();
    const bodies: Buffer[] = [];
    const server = createServer(async (req, res) => {
      const parts: Buffer[] = [];
      for await (const chunk of req) parts.push(chunk as Buffer);
      bodies.push(Buffer.concat(parts));
      res.end('ok');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const pipe = new NamedOutputPipe('out');
    const connect = new Connect(
      pipe,
      new ChunkedTransferEncodingStream(`http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`),
    );
    await connect.transform(ctx);
    const writer = sh('seq 1 100000 > "$F"', { F: pipe.hostPath(ctx) });
    const connector = await connect.connector(ctx, { until: writer.exited });
    await connector.start();
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.toString()).toBe(`${Array.from({ length: 100000 }, (_, i) => i + 1).join('\n')}\n`);
    await pipe.cleanup(ctx);
  });

  it('reads a container stream the runner provides, and fails clearly when none is given', async () => {
    const ctx = await runContext();
    const received: Buffer[] = [];
    const sink = new (class extends Transform<() => Writable> {
      static readonly kind: string = 'Collect';
      override transform() {
        return () =>
          new Writable({
            write(chunk: Buffer, _e, cb) {
              received.push(chunk);
              cb();
            },
          });
      }
      override toJSON() {
        return {};
      }
    })();
    const connect = new Connect(new ContainerStdErr(), sink);
    expect(await connect.transform(ctx)).toBe('');
    await expect(connect.connector(ctx)).rejects.toMatchObject({ code: 'GW_CONTAINER_STREAM_MISSING' });
    const connector = await connect.connector(ctx, {
      containerStderr: Readable.from([Buffer.from('oops\n')]),
    });
    await connector.start();
    expect(Buffer.concat(received).toString()).toBe('oops\n');
  });

  it('reports a container that never opened its output pipe', async () => {
    const ctx = await runContext();
    const connect = new Connect(new NamedOutputPipe('never'), new HostStdErr());
    await connect.transform(ctx);
    const connector = await connect.connector(ctx, { until: delay(100) });
    const error = await connector.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectorError', side: 'input' });
    expect(isFifoPeerMissingError((error as Error).cause)).toBe(true);
    await (connect.input as NamedOutputPipe).cleanup(ctx);
  });

  it('names the side whose transform gives no stream', async () => {
    const ctx = await runContext();
    const notAStream = new (class extends Transform<number> {
      static readonly kind: string = 'NotAStream';
      override transform(): number {
        return 42;
      }
      override toJSON(): Record<string, unknown> {
        return {};
      }
    })();
    const pipe = new NamedInputPipe('in');
    await expect(new Connect(notAStream, pipe).connector(ctx)).rejects.toThrow(
      /the input side \(NotAStream\) transformed into no Readable/,
    );
    await pipe.cleanup(ctx);
  });

  it('rejects sides that cannot work', () => {
    expect(() => new Connect(new HostStdOut(), new NamedInputPipe('x'))).toThrow(
      /HostStdOut can only be an output/,
    );
    expect(() => new Connect(new NamedOutputPipe('x'), new NamedOutputPipe('y'))).toThrow(
      /can only be an input/,
    );
    expect(() => new Connect(new BytesSource(Buffer.alloc(0)), new HostStdOut())).toThrow(/is required/);
    expect(() => new Connect('x' as never, new HostStdOut())).toThrow(/expected a transform/);
  });
});

describe('ProgressPipe', () => {
  it('reports JSON lines a process writes, skipping malformed ones', async () => {
    const progress: Progress[] = [];
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
    const ctx = await runContext({ logger, progress });
    const pipe = new ProgressPipe();
    const containerPath = await pipe.transform(ctx);
    expect(containerPath).toBe(`${ctx.temporaryVolume.containerPath}/.girder_progress`);
    const writer = sh(
      `{ printf '{"total": 3, "cur'; sleep 0.1; printf 'rent": 1}\\nbroken\\n{"current": 3, "message": "done"}\\n'; } > "$F"`,
      { F: join(ctx.temporaryVolume.hostPath, '.girder_progress') },
    );
    const connector = await pipe.connector(ctx, { until: writer.exited });
    await connector.start();
    expect(progress).toEqual([
      { total: 3, current: 1 },
      { current: 3, message: 'done' },
    ]);
    expect(warnings).toHaveLength(1);
    await pipe.cleanup(ctx);
  });

  it('ends quietly when the container never writes progress', async () => {
    const ctx = await runContext();
    const pipe = new ProgressPipe('progress', { volume: ctx.temporaryVolume });
    await pipe.transform(ctx);
    const connector = await pipe.connector(ctx, { until: delay(50) });
    expect(await connector.start()).toEqual({ bytesMoved: 0 });
    await pipe.cleanup(ctx);
  });
});

describe('markers', () => {
  it('ContainerStdOut and ContainerStdErr transform to themselves and are recognised', async () => {
    const ctx = await runContext();
    const out = new ContainerStdOut();
    expect(out.transform(ctx)).toBe(out);
    expect(isContainerStream(out)).toBe(true);
    expect(isContainerStream(new ContainerStdErr())).toBe(true);
    expect(isContainerStream(new HostStdOut())).toBe(false);
    expect(isContainerStream({ stream: 'stdout' })).toBe(false);
  });

  it('HostStdErr forwards bytes to the process stderr without closing it', async () => {
    const ctx = await runContext();
    const seen: string[] = [];
    // Observe (and still perform) the real writes to this process's stderr.
    const original = process.stderr.write.bind(process.stderr);
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(((
      chunk: Uint8Array,
      ...rest: never[]
    ) => {
      seen.push(Buffer.from(chunk).toString());
      return original(chunk, ...rest);
    }) as typeof process.stderr.write);
    try {
      const factory = new HostStdErr().transform(ctx) as () => Writable;
      const connector = createStreamConnector({
        input: Readable.from([
          Buffer.from('[pipes test] HostStdErr line 1\n'),
          Buffer.from('[pipes test] line 2\n'),
        ]),
        output: factory,
      });
      await connector.start();
    } finally {
      spy.mockRestore();
    }
    expect(seen.join('')).toBe('[pipes test] HostStdErr line 1\n[pipes test] line 2\n');
    expect(process.stderr.writable).toBe(true);
  });
});

describe('HostFileSource and HostFileSink', () => {
  it('stream a host file through the connector, byte-exact, and round-trip as JSON', async () => {
    const { mkdtemp, readFile, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { HostFileSink, HostFileSource, createStreamConnector, pipesKinds } = await import(
      '../src/index.ts'
    );
    const { createRegistry, createTransformContext, revive, serialize, TemporaryVolume } = await import(
      '@girder-worker/transforms'
    );
    const dir = await mkdtemp(join(tmpdir(), 'host-file-'));
    try {
      const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 256));
      await writeFile(join(dir, 'in.bin'), data);
      const source = new HostFileSource(join(dir, 'in.bin'));
      const sink = new HostFileSink(join(dir, 'out.bin'));
      const [s, k] = revive(
        JSON.parse(JSON.stringify(serialize([source, sink]))),
        createRegistry(pipesKinds),
      ) as [typeof source, typeof sink];
      expect(s.path).toBe(source.path);
      const volume = new TemporaryVolume();
      await volume.create();
      const ctx = createTransformContext({ temporaryVolume: volume });
      const connector = createStreamConnector({ input: s.transform(ctx), output: k.transform(ctx) });
      connector.start();
      expect((await connector.done).bytesMoved).toBe(data.length);
      expect((await readFile(join(dir, 'out.bin'))).equals(data)).toBe(true);
      await volume.remove();
      expect(() => new HostFileSource('relative.bin')).toThrow(
        'path: expected an absolute host path, got "relative.bin"',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Connect revived from JSON', () => {
  const registry = createRegistry(coreKinds, pipesKinds);
  const pipe = (kind: string, name: string) => ({ $transform: kind, name });

  it.each([
    [
      { input: pipe('NamedInputPipe', 'in'), output: { $transform: 'HostFileSink', path: '/tmp/out' } },
      'args[0].input: expected a source: NamedInputPipe is a place bytes go to (are input and output swapped?), got a NamedInputPipe transform',
    ],
    [
      { input: { $transform: 'HostFileSource', path: '/tmp/in' }, output: pipe('NamedOutputPipe', 'out') },
      'args[0].output: expected a sink: NamedOutputPipe is a place bytes come from (are input and output swapped?), got a NamedOutputPipe transform',
    ],
    [
      {
        input: { $transform: 'HostFileSource', path: '/tmp/in' },
        output: { $transform: 'HostFileSink', path: '/tmp/o' },
      },
      'args[0].output: expected a NamedInputPipe (or a NamedOutputPipe or container stream as input), got a HostFileSink transform',
    ],
  ])('refuses sides of the wrong kind, naming the side: %j', (sides, message) => {
    expect(() => revive([{ $transform: 'Connect', ...sides }], registry, 'args')).toThrow(message);
  });

  it('takes relative host paths from revive’s baseDir, and refuses them without one', () => {
    const json = [
      {
        $transform: 'Connect',
        input: { $transform: 'HostFileSource', path: 'in.csv' },
        output: pipe('NamedInputPipe', 'in'),
      },
    ];
    const [connect] = revive(json, registry, { baseDir: '/srv/specs' }) as [Connect];
    expect((connect.input as unknown as { path: string }).path).toBe('/srv/specs/in.csv');
    expect(() => revive(json, registry)).toThrow('[0].input.path: expected an absolute path, got "in.csv"');
  });
});
