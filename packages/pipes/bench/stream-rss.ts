// One measurement of the memory bench (run by memory.ts in a fresh process each time): prints
// this process's peak RSS after 20 echo containers (the baseline) and after streaming.
//   node bench/stream-rss.ts in  <MiB> <parallel> <input file>   file → NamedInputPipe → md5sum
//   node bench/stream-rss.ts out <MiB> <parallel> <output dir>   dd → NamedOutputPipe → file

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
// Subpaths, not the index: the measured process loads no test tooling (the index adds ~6 MiB RSS).
import { peakRssMiB } from '@girder-worker/test-helpers/stats';
import { Connect } from '../src/connect.ts';
import { HostFileSink, HostFileSource } from '../src/host-file.ts';
import { NamedInputPipe, NamedOutputPipe } from '../src/named-pipe.ts';
import { benchContext, inTempDir, MiB, withContainer } from './container.ts';

const [mode, mibText, parallelText, path] = process.argv.slice(2);
const mib = Number(mibText);
const parallel = Number(parallelText);
if ((mode !== 'in' && mode !== 'out') || !(mib > 0) || !(parallel > 0) || !path) {
  throw new Error('usage: stream-rss.ts in|out <MiB> <parallel> <input file | output dir>');
}

async function streamOnce(index: number): Promise<void> {
  await inTempDir('gw-rss-', async (dir) => {
    const ctx = await benchContext(dir);
    const options = { hostPath: dir, containerPath: '/data' };
    const connect =
      mode === 'in'
        ? new Connect(new HostFileSource(path as string), new NamedInputPipe('pipe', options))
        : new Connect(
            new NamedOutputPipe('pipe', options),
            new HostFileSink(join(path as string, `out-${index}.bin`)),
          );
    await connect.transform(ctx);
    const cmd =
      mode === 'in'
        ? ['md5sum', '/data/pipe']
        : ['sh', '-c', `dd if=/dev/zero bs=1M count=${mib} of=/data/pipe 2>/dev/null`];
    const { exitCode } = await withContainer(dir, cmd, async (exited) => {
      const connector = await connect.connector(ctx, { until: exited });
      const { bytesMoved } = await connector.start();
      if (bytesMoved !== mib * MiB) throw new Error(`moved ${bytesMoved} bytes, expected ${mib * MiB}`);
    });
    if (exitCode !== 0) throw new Error(`the container exited with ${exitCode}`);
    if (mode === 'out') {
      const { size } = await stat(join(path as string, `out-${index}.bin`));
      if (size !== mib * MiB) throw new Error(`wrote ${size} bytes, expected ${mib * MiB}`);
    }
  });
}

await inTempDir('gw-rss-base-', async (dir) => {
  for (let i = 0; i < 20; i++) {
    const { exitCode } = await withContainer(dir, ['echo', 'hi'], async () => {});
    if (exitCode !== 0) throw new Error(`echo exited with ${exitCode}`);
  }
});
const baseline = peakRssMiB();
await Promise.all(Array.from({ length: parallel }, (_, i) => streamOnce(i)));
console.log(JSON.stringify({ baseline, peak: peakRssMiB() }));
