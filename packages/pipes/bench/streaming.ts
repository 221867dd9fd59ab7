import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { median, range, runShell } from '@girder-worker/test-helpers';
import { Transform } from '@girder-worker/transforms';
import { Connect } from '../src/connect.ts';
import { createStreamConnector, type StreamSink } from '../src/connector.ts';
import { openFifoReader } from '../src/fifo-reader.ts';
import { openFifoWriter } from '../src/fifo-writer.ts';
import { HostFileSink, HostFileSource } from '../src/host-file.ts';
import { releasesChunks } from '../src/lent-chunks.ts';
import { mkfifo } from '../src/mkfifo.ts';
import { NamedInputPipe, NamedOutputPipe } from '../src/named-pipe.ts';
import { benchContext, inTempDir, MiB, withContainer } from './container.ts';
import { bootReaderThread } from './reader-thread.ts';

const mib = Number(process.env.BENCH_MIB ?? 1024);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const bytes = mib * MiB;

/** A sink counting bytes: plain (a connector copies lent chunks for it) or marked as releasing them. */
class CountingSink extends Transform<StreamSink> {
  static readonly kind = 'CountingSink';
  bytes = 0;
  readonly marked: boolean;
  constructor(marked: boolean) {
    super();
    this.marked = marked;
  }
  override transform(): StreamSink {
    return () => {
      const sink = new Writable({
        write: (chunk: Buffer, _e, cb) => {
          this.bytes += chunk.length;
          cb();
        },
      });
      return this.marked ? releasesChunks(sink) : sink;
    };
  }
  override toJSON(): Record<string, unknown> {
    return {};
  }
}

type Direction = 'in' | 'out';
interface Row {
  direction: Direction;
  label: string;
  raw?: boolean;
  /** Prepares the FIFO and returns what moves the bytes once the container runs. */
  setup(dir: string, fifo: string): Promise<Drive>;
}
type Drive = (exited: Promise<unknown>) => Promise<void>;

const consumerIn = ['md5sum', '/data/pipe'];
const producerOut = ['sh', '-c', `dd if=/dev/zero bs=1M count=${mib} of=/data/pipe 2>/dev/null`];

/**
 * Creates the FIFO and builds the connector through the Connect before the container starts, and
 * starts it after, as the runner does; returns the host side's driver.
 */
async function viaConnect(dir: string, connect: Connect): Promise<Drive> {
  const ctx = await benchContext(dir);
  let exit: (value: unknown) => void = () => {};
  const exited = new Promise((resolve) => {
    exit = resolve;
  });
  const connector = await connect.connector(ctx, { until: exited });
  return async (containerExited) => {
    containerExited.then(exit, exit);
    const { bytesMoved } = await connector.start();
    if (bytesMoved !== bytes) throw new Error(`moved ${bytesMoved} of ${bytes}`);
  };
}

/** Creates the FIFO itself and returns `drive`. */
async function onOwnFifo(fifo: string, drive: Drive): Promise<Drive> {
  await mkfifo(fifo, { mode: 0o666 });
  return drive;
}

const pipeAt = (dir: string) => ({ hostPath: dir, containerPath: '/data' });

function rows(input: string): Row[] {
  return [
    {
      direction: 'in',
      label: 'raw: `cat file > fifo`',
      raw: true,
      setup: (_dir, fifo) => onOwnFifo(fifo, () => runShell('cat "$1" > "$2"', input, fifo)),
    },
    {
      direction: 'in',
      label: 'HostFileSource → Connect → NamedInputPipe (lent slabs)',
      setup: (dir) =>
        viaConnect(dir, new Connect(new HostFileSource(input), new NamedInputPipe('pipe', pipeAt(dir)))),
    },
    {
      direction: 'in',
      label: 'before: createReadStream (4 MiB) → connector → openFifoWriter',
      setup: (_dir, fifo) =>
        onOwnFifo(fifo, async (exited) => {
          const connector = createStreamConnector({
            input: createReadStream(input, { highWaterMark: 4 * MiB }),
            output: ({ signal, until }) => openFifoWriter(fifo, { signal, until }),
            until: exited,
          });
          await connector.start();
        }),
    },
    {
      direction: 'out',
      label: 'raw: `cat fifo > file`',
      raw: true,
      setup: (dir, fifo) => onOwnFifo(fifo, () => runShell('cat "$1" > "$2"', fifo, join(dir, 'out.bin'))),
    },
    {
      direction: 'out',
      label: 'NamedOutputPipe → Connect → HostFileSink (lent slabs)',
      setup: (dir) =>
        viaConnect(
          dir,
          new Connect(new NamedOutputPipe('pipe', pipeAt(dir)), new HostFileSink(join(dir, 'out.bin'))),
        ),
    },
    {
      direction: 'out',
      label: 'before: openFifoReader (Readable) → pipeline → createWriteStream',
      setup: (dir, fifo) =>
        onOwnFifo(fifo, (exited) =>
          pipeline(openFifoReader(fifo, { until: exited }), createWriteStream(join(dir, 'out.bin'))),
        ),
    },
    {
      direction: 'out',
      label: 'raw: `dd if=fifo of=/dev/null bs=1M` (counting)',
      raw: true,
      setup: (_dir, fifo) =>
        onOwnFifo(fifo, () => runShell('dd if="$1" of=/dev/null bs=1M 2>/dev/null', fifo)),
    },
    {
      direction: 'out',
      label: 'floor: a booted thread doing only blocking reads (no sink)',
      setup: async (_dir, fifo) => {
        const thread = await bootReaderThread();
        return onOwnFifo(fifo, async () => {
          try {
            const read = await thread.read(fifo);
            if (read !== bytes) throw new Error(`the floor thread read ${read} of ${bytes}`);
          } finally {
            await thread.close();
          }
        });
      },
    },
    {
      direction: 'out',
      label: 'NamedOutputPipe → Connect → counting Writable (gets copies)',
      setup: (dir) =>
        viaConnect(dir, new Connect(new NamedOutputPipe('pipe', pipeAt(dir)), new CountingSink(false))),
    },
    {
      direction: 'out',
      label: 'NamedOutputPipe → Connect → counting Writable marked `releasesChunks`',
      setup: (dir) =>
        viaConnect(dir, new Connect(new NamedOutputPipe('pipe', pipeAt(dir)), new CountingSink(true))),
    },
  ];
}

async function round(row: Row): Promise<number> {
  return inTempDir('gw-pipes-stream-', async (dir) => {
    const drive = await row.setup(dir, join(dir, 'pipe'));
    const { ms, exitCode } = await withContainer(
      dir,
      row.direction === 'in' ? consumerIn : producerOut,
      drive,
    );
    if (exitCode !== 0) throw new Error(`${row.label}: the container exited with ${exitCode}`);
    const out = join(dir, 'out.bin');
    const written = await stat(out).then(
      (s) => s.size,
      () => undefined,
    );
    if (written !== undefined && written !== bytes)
      throw new Error(`${row.label}: wrote ${written} of ${bytes}`);
    await rm(out, { force: true });
    return mib / (ms / 1000);
  });
}

await inTempDir('gw-pipes-input-', async (dir) => {
  const input = join(dir, 'input.bin');
  await runShell(`dd if=/dev/urandom of="$1" bs=1M count=${mib} 2>/dev/null`, input);
  const direction = process.env.BENCH_DIRECTION;
  const all = rows(input).filter((row) => direction === undefined || row.direction === direction);
  const samples = new Map<Row, number[]>(all.map((r) => [r, []]));
  for (let i = 0; i < rounds; i++) for (const row of all) samples.get(row)?.push(await round(row));

  console.log(
    `\nnamed pipes with a container (${mib} MiB, ${rounds} interleaved rounds, MiB/s median (range))\n`,
  );
  console.log('| direction | host side | MiB/s | ratio to raw (≥ 0.9) | per-round ratio, median (range) |');
  console.log('|---|---|---|---|---|');
  let raw = 0;
  let rawValues: number[] = [];
  for (const row of all) {
    const values = samples.get(row) ?? [];
    const m = median(values);
    if (row.raw) {
      raw = m;
      rawValues = values;
    }
    const [lo, hi] = range(values);
    const ratio = row.raw ? '1' : `**${(m / raw).toFixed(2)}**`;
    // Each round's figure against the raw figure of the same round (load swings between rounds).
    const perRound = values.map((v, i) => v / (rawValues[i] as number));
    const [rlo, rhi] = range(perRound);
    const rounds = row.raw ? '' : `${median(perRound).toFixed(2)} (${rlo.toFixed(2)}–${rhi.toFixed(2)})`;
    const sink = row.direction === 'in' ? 'container md5sum' : 'container dd';
    console.log(
      `| ${row.direction} (${sink}) | ${row.label} | ${m.toFixed(0)} (${lo.toFixed(0)}–${hi.toFixed(0)}) | ${ratio} | ${rounds} |`,
    );
  }
});
