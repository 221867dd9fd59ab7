// Benchmark: host file → FIFO → consumer container, against the raw limit in the same run.
//   pnpm turbo run bench --filter @girder-worker/pipes   (builds @girder-worker/transforms first)
//   pnpm --filter @girder-worker/pipes bench             (1 GiB, 5 rounds; needs transforms built)
//   BENCH_MIB=2048 BENCH_ROUNDS=5 pnpm --filter @girder-worker/pipes bench
// The consumer is the local test image running `dd if=<fifo> of=/dev/null bs=1M` through a bind
// mount. "raw" writes the FIFO with `dd if=file of=fifo bs=1M`; "pipes" with a StreamConnector from
// fs.createReadStream (1 MiB chunks) to openFifoWriter, as the docker runner does; "in-memory" feeds openFifoWriter one reused 1 MiB block, to
// show the writer's own ceiling. Time runs from the writer's start until the container has exited.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { median, TEST_IMAGE } from '@girder-worker/test-helpers';
import Docker from 'dockerode';
import { createStreamConnector } from '../src/connector.ts';
import { openFifoWriter } from '../src/fifo-writer.ts';
import { mkfifo } from '../src/mkfifo.ts';

const mib = Number(process.env.BENCH_MIB ?? 1024);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const bytes = mib * (1 << 20);
const docker = new Docker();

async function makeInput(path: string): Promise<void> {
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  async function* blocks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < mib; i++) yield block;
  }
  await pipeline(blocks(), createWriteStream(path));
  await pipeline(createReadStream(path), async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source); // warm the page cache
  });
}

type Writer = 'raw' | 'pipes' | 'pipes-memory';

async function runRound(dir: string, input: string, writer: Writer): Promise<number> {
  const fifo = join(dir, 'pipe');
  await rm(fifo, { force: true });
  await mkfifo(fifo, { mode: 0o666 });
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: ['dd', 'if=/data/pipe', 'of=/dev/null', 'bs=1M'],
    HostConfig: { Binds: [`${dir}:/data`], NetworkMode: 'none' },
  });
  try {
    const exited = container.wait({ condition: 'next-exit' });
    await container.start();
    const started = performance.now();
    if (writer === 'raw') {
      const dd = spawn('dd', [`if=${input}`, `of=${fifo}`, 'bs=1M'], { stdio: 'ignore' });
      const [code] = await once(dd, 'exit');
      if (code !== 0) throw new Error(`dd exited with ${code}`);
    } else {
      const source =
        writer === 'pipes-memory'
          ? (async function* () {
              const block = Buffer.alloc(1 << 20, 7);
              for (let i = 0; i < mib; i++) yield block;
            })()
          : createReadStream(input, { highWaterMark: 1 << 20 });
      // The path the docker runner takes: a connector from the source to the FIFO writer.
      const connector = createStreamConnector({
        input: source,
        output: ({ signal, until }) => openFifoWriter(fifo, { signal, until }),
        until: exited,
      });
      const { bytesMoved } = await connector.start();
      if (bytesMoved !== bytes) throw new Error(`moved ${bytesMoved} of ${bytes}`);
    }
    const result = (await exited) as { StatusCode: number };
    const seconds = (performance.now() - started) / 1000;
    if (result.StatusCode !== 0) throw new Error(`consumer exited with ${result.StatusCode}`);
    return bytes / (1 << 20) / seconds;
  } finally {
    await container.remove({ force: true });
    await rm(fifo, { force: true });
  }
}

const dir = await mkdtemp(join(tmpdir(), 'gw-pipes-bench-'));
try {
  const input = join(dir, 'input.bin');
  await makeInput(input);
  const raw: number[] = [];
  const ours: number[] = [];
  const memory: number[] = [];
  for (let i = 0; i < rounds; i++) {
    raw.push(await runRound(dir, input, 'raw'));
    ours.push(await runRound(dir, input, 'pipes'));
    memory.push(await runRound(dir, input, 'pipes-memory'));
  }
  const rawMedian = median(raw);
  const oursMedian = median(ours);
  const fmt = (v: number): string => v.toFixed(0);
  console.log(
    `\nhost file → FIFO → container (${TEST_IMAGE}, dd of=/dev/null bs=1M), ${mib} MiB, ${rounds} rounds\n`,
  );
  console.log('| writer | MiB/s (median) | rounds (MiB/s) |');
  console.log('|---|---|---|');
  console.log(`| raw: dd if=file of=fifo bs=1M | ${fmt(rawMedian)} | ${raw.map(fmt).join(', ')} |`);
  console.log(
    `| pipes: createReadStream(file) → connector → openFifoWriter | ${fmt(oursMedian)} | ${ours.map(fmt).join(', ')} |`,
  );
  console.log(
    `| pipes, in-memory source (writer ceiling, no file reads) | ${fmt(median(memory))} | ${memory.map(fmt).join(', ')} |`,
  );
  console.log(`\nratio pipes / raw: ${(oursMedian / rawMedian).toFixed(2)} (target ≥ 0.9)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
