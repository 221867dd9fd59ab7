// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  createStreamConnector,
  isFifoPeerMissingError,
  mkfifo,
  NamedInputPipe,
  openFifoReader,
  openFifoWriter,
  pipesKinds,
} from '@girder-worker/pipes';

const dir = await mkdtemp(join(tmpdir(), 'pipes-smoke-'));
try {
  const fifo = join(dir, 'pipe');
  await mkfifo(fifo);
  const payload = randomBytes(3_000_000);
  const reading = openFifoReader(fifo).toArray();
  const { bytesMoved } = await createStreamConnector({
    input: Readable.from([payload]),
    output: ({ signal }) => openFifoWriter(fifo, { signal }),
  }).start();
  assert.equal(bytesMoved, payload.length);
  assert.ok(Buffer.concat(await reading).equals(payload));

  const lonely = openFifoWriter(fifo, { until: new Promise((resolve) => setTimeout(resolve, 50)) });
  const error = await new Promise((resolve) => {
    lonely.on('error', resolve);
    lonely.write('x');
  });
  assert.ok(isFifoPeerMissingError(error));
  assert.ok(pipesKinds.some((kind) => kind.kind === 'NamedInputPipe'));
  assert.equal(new NamedInputPipe('in').toString(), 'NamedInputPipe(in)');
} finally {
  await rm(dir, { recursive: true, force: true });
}
