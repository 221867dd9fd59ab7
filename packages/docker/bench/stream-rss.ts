// One memory measurement in a fresh process, from and to REAL files (run by run.ts): prints this
// process's peak RSS (MiB) after 20 `echo` runs (the baseline) and after streaming.
//   node bench/stream-rss.ts in  <MiB> <parallel> <input file>   HostFileSource → NamedInputPipe → md5sum
//   node bench/stream-rss.ts out <MiB> <parallel> <output dir>   dd → NamedOutputPipe → HostFileSink

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Connect, HostFileSink, HostFileSource, NamedInputPipe, NamedOutputPipe } from '@girder-worker/pipes';
// Subpaths, not the index: the measured process loads no test tooling (the index adds ~6 MiB RSS).
import { TEST_IMAGE } from '@girder-worker/test-helpers/docker';
import { peakRssMiB } from '@girder-worker/test-helpers/stats';
import { dockerRun } from '../src/index.ts';

const [mode, mibText, parallelText, path] = process.argv.slice(2);
const mib = Number(mibText);
const parallel = Number(parallelText);
if ((mode !== 'in' && mode !== 'out') || !(mib > 0) || !(parallel > 0) || !path) {
  throw new Error('usage: stream-rss.ts in|out <MiB> <parallel> <input file | output dir>');
}
const quiet = { log() {}, progress() {} };

for (let i = 0; i < 20; i++) {
  await dockerRun({ image: TEST_IMAGE, pullImage: false, containerArgs: ['echo', 'hi'], reporter: quiet });
}
const baseline = peakRssMiB();
await Promise.all(
  Array.from({ length: parallel }, async (_, i) => {
    const target = join(path, `out-${i}.bin`);
    await dockerRun({
      image: TEST_IMAGE,
      pullImage: false,
      reporter: quiet,
      containerArgs:
        mode === 'in'
          ? ['md5sum', new Connect(new HostFileSource(path), new NamedInputPipe('in'))]
          : [
              'sh',
              '-c',
              `dd if=/dev/zero bs=1M count=${mib} 2>/dev/null > "$0"`,
              new Connect(new NamedOutputPipe('out'), new HostFileSink(target)),
            ],
    });
    if (mode === 'out' && (await stat(target)).size !== mib * 1024 * 1024) {
      throw new Error(`${target}: wrong size`);
    }
  }),
);
console.log(JSON.stringify({ baseline, peak: peakRssMiB() }));
