// Girder file → stream → named pipe → container, against curl from the same server into the same
// FIFO consumer. Rerun: pnpm --filter @girder-worker/girder bench   (BENCH_MIB, default 1024)

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerRun } from '@girder-worker/docker';
import { GirderClient } from '@girder-worker/girder-client';
import { startGirderTestServerProcess } from '@girder-worker/girder-test-server';
import { Connect, NamedInputPipe } from '@girder-worker/pipes';
import { runShell, TEST_IMAGE } from '@girder-worker/test-helpers';
import { Services } from '@girder-worker/transforms';
import { GirderFileIdToStream } from '../src/index.ts';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_MIB ?? 1024) * MiB;
const dir = await mkdtemp(join(tmpdir(), 'gw-girder-bench-'));
// The server runs in its own process, as a real Girder would.
const server = await startGirderTestServerProcess();
try {
  const file = join(dir, 'data.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${size / MiB}`], { stdio: 'ignore' });
  const client = new GirderClient({ apiUrl: server.apiUrl, token: server.token });
  const girderFile = await client.uploadFile(
    { parentType: 'folder', parentId: server.privateFolderId, name: 'data.bin' },
    file,
  );
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const ours: number[] = [];
  const raw: number[] = [];
  const oursFixed: number[] = [];
  const records = `${size / MiB}+0 records out`;
  const rawFixed: number[] = [];
  execFileSync('mkdir', ['-p', join(dir, 'fifo')]);
  execFileSync('mkfifo', [join(dir, 'fifo', 'in')]);
  for (let i = 0; i < rounds; i++) {
    let start = performance.now();
    const said: string[] = [];
    await dockerRun({
      image: TEST_IMAGE,
      pullImage: false,
      services: new Services({ girder: client }),
      reporter: { log: (line, source) => source === 'stdout' && said.push(line), progress: () => {} },
      containerArgs: [
        'sh',
        '-c',
        // dd counts whole MiB blocks read: a short transfer cannot pass for a fast one.
        'dd if="$0" of=/dev/null bs=1M iflag=fullblock 2>&1 | tail -n 1',
        new Connect(new GirderFileIdToStream(girderFile._id), new NamedInputPipe('in')),
      ],
    });
    ours.push(performance.now() - start);
    if (said.at(-1) !== records) throw new Error(`the container's dd said ${said.at(-1)}, not ${records}`);
    start = performance.now();
    await Promise.all([
      runShell(
        `curl -sf -H 'Girder-Token: ${server.token}' -o ${join(dir, 'fifo', 'in')} ${server.apiUrl}/file/${girderFile._id}/download`,
      ),
      runShell(
        `test "$(docker run --rm --network none -v ${join(dir, 'fifo')}:/f ${TEST_IMAGE} sh -c 'dd if=/f/in of=/dev/null bs=1M iflag=fullblock 2>&1 | tail -n 1')" = '${records}'`,
      ),
    ]);
    raw.push(performance.now() - start);
    // Each side's fixed cost (starting and removing a container that reads nothing), so that the
    // transfer itself can be compared too.
    start = performance.now();
    await dockerRun({ image: TEST_IMAGE, pullImage: false, containerArgs: ['true'] });
    oursFixed.push(performance.now() - start);
    start = performance.now();
    await runShell(`docker run --rm --network none ${TEST_IMAGE} true`);
    rawFixed.push(performance.now() - start);
  }
  const best = (values: number[]) => Math.min(...values);
  const mibs = (ms: number) => (size / MiB / (ms / 1000)).toFixed(0);
  console.log('| benchmark | girder-worker | reference | ratio (target) |\n| --- | --- | --- | --- |');
  console.log(
    `| Girder file ${size / MiB} MiB → stream → named pipe → container (best of ${rounds}) | ${mibs(best(ours))} MiB/s | curl → FIFO → same consumer ${mibs(best(raw))} MiB/s | ${(best(raw) / best(ours)).toFixed(2)} (≥ 0.85) |`,
  );
  const oursMove = best(ours) - best(oursFixed);
  const rawMove = best(raw) - best(rawFixed);
  console.log(
    `| same, less each side's fixed cost (dockerRun ${best(oursFixed).toFixed(0)} ms, docker run CLI ${best(rawFixed).toFixed(0)} ms) | ${mibs(oursMove)} MiB/s | ${mibs(rawMove)} MiB/s | ${(rawMove / oursMove).toFixed(2)} |`,
  );
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
