// Prints this process's peak RSS (MiB) after streaming N GiB of generated data into a container.
import { Readable } from 'node:stream';
import { Connect, NamedInputPipe } from '@girder-worker/pipes';
import { Transform } from '@girder-worker/transforms';
import { dockerRun } from '../src/index.ts';

const gib = Number(process.argv[2] ?? 1);
const block = Buffer.alloc(1024 * 1024, 7);
class Generated extends Transform<() => Readable> {
  static readonly kind = 'Generated';
  transform(): () => Readable {
    return () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < gib * 1024; i++) yield block;
        })(),
      );
  }
  toJSON(): Record<string, unknown> {
    return {};
  }
}
await dockerRun({
  image: process.env.GW_TEST_IMAGE ?? 'girder-worker-test/busybox:latest',
  pullImage: false,
  containerArgs: [
    'sh',
    '-c',
    'dd if="$0" of=/dev/null bs=1M 2>/dev/null',
    new Connect(new Generated(), new NamedInputPipe('in')),
  ],
});
console.log((process.resourceUsage().maxRSS / 1024).toFixed(0));
