import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Connect, ContainerStdOut, NamedInputPipe, NamedOutputPipe } from '@girder-worker/pipes';
import {
  assertNoLeaks,
  hashFile,
  LOCAL_IMAGE,
  makeTempDir,
  sha256Hex,
  writeRandomFile,
} from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun } from '../src/index.ts';
import { collectingReporter, SinkOf, SourceOf } from './helpers.ts';

afterEach(() => assertNoLeaks());

describe('streams', () => {
  it('streams host data into a named input pipe, byte-exact (1 GiB)', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'input.bin');
    const expected = await writeRandomFile(file, 1024 * 1024 * 1024);
    const { createReadStream } = await import('node:fs');
    const reporter = collectingReporter();
    await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: [
        'sh',
        '-c',
        'sha256sum < "$0"',
        new Connect(new SourceOf(() => createReadStream(file)), new NamedInputPipe('input')),
      ],
      reporter,
    });
    expect(reporter.stdout()).toEqual([`${expected}  -`]);
    expect(await hashFile(file)).toBe(expected);
  }, 600_000); // 1 GiB on a machine that may be busy: a hang, not slowness, should fail

  it('streams a named output pipe to a host sink', async () => {
    const hash = createHash('sha256');
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb();
      },
    });
    await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: [
        'sh',
        '-c',
        'seq 1 100000 > "$0"',
        new Connect(new NamedOutputPipe('out'), new SinkOf(() => sink)),
      ],
    });
    const reference = Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join('');
    expect(bytes).toBe(reference.length);
    expect(hash.digest('hex')).toBe(sha256Hex(reference));
  });

  it('redirects container stdout with Connect(ContainerStdOut, …), byte-exact (256 MiB)', async () => {
    const hash = createHash('sha256');
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb();
      },
    });
    const reporter = collectingReporter();
    await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['sh', '-c', 'dd if=/dev/zero bs=1M count=256 2>/dev/null; echo done >&2'],
      streamConnectors: [new Connect(new ContainerStdOut(), new SinkOf(() => sink))],
      reporter,
    });
    expect(bytes).toBe(256 * 1024 * 1024);
    expect(hash.digest('hex')).toBe(
      createHash('sha256')
        .update(Buffer.alloc(256 * 1024 * 1024))
        .digest('hex'),
    );
    expect(reporter.stdout()).toEqual([]);
    expect(reporter.stderr()).toEqual(['done']);
  });

  it('ends the run when the container never opens its pipe', async () => {
    // A writer that kept waiting would hold the run until the test times out.
    const result = await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: [
        'sh',
        '-c',
        'echo ignoring "$0"',
        new Connect(new SourceOf(() => Readable.from([Buffer.alloc(1024)])), new NamedInputPipe('unused')),
      ],
    });
    expect(result.exitCode).toBe(0);
  });

  it('loses no early output: 100 one-line containers each deliver their line', async () => {
    const runs = Array.from({ length: 100 }, (_, i) => i);
    const seen: string[] = [];
    for (let i = 0; i < runs.length; i += 4) {
      await Promise.all(
        runs.slice(i, i + 4).map(async (n) => {
          const reporter = collectingReporter();
          await dockerRun({ ...LOCAL_IMAGE, containerArgs: ['echo', `line-${n}`], reporter });
          seen.push(...reporter.stdout());
        }),
      );
    }
    expect(seen.sort()).toEqual(runs.map((n) => `line-${n}`).sort());
  });
});
