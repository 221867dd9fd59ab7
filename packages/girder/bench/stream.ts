// Girder file → stream → named pipe → container, against curl from the same server into the same
// FIFO consumer. Rerun: pnpm --filter @girder-worker/girder bench   (BENCH_MIB, default 1024)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerRun } from '@girder-worker/docker';
import { GirderClient } from '@girder-worker/girder-client';
import { startGirderTestServerProcess } from '@girder-worker/girder-test-server';
import { Connect, NamedInputPipe } from '@girder-worker/pipes';
import { Services } from '@girder-worker/transforms';
import { GirderFileIdToStream } from '../src/index.ts';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_MIB ?? 1024) * MiB;
const IMAGE = process.env.GW_TEST_IMAGE ?? 'girder-worker-test/busybox:latest';
const dir = await mkdtemp(join(tmpdir(), 'gw-girder-bench-'));
// The server runs in its own process, as a real Girder would.
const server = await startGirderTestServerProcess();
const sh = (command: string) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
try {
  const file = join(dir, 'data.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${size / MiB}`], { stdio: 'ignore' });
  const client = new GirderClient({ apiUrl: server.apiUrl, token: server.token });
  const girderFile = await client.uploadFile(
    { parentType: 'folder', parentId: server.privateFolderId, name: 'data.bin' },
    file,
  );
  const rounds = 3;
  const ours: number[] = [];
  const raw: number[] = [];
  execFileSync('mkdir', ['-p', join(dir, 'fifo')]);
  execFileSync('mkfifo', [join(dir, 'fifo', 'in')]);
  for (let i = 0; i < rounds; i++) {
    let start = performance.now();
    await dockerRun({
      image: IMAGE,
      pullImage: false,
      services: new Services({ girder: client }),
      containerArgs: [
        'sh',
        '-c',
        'dd if="$0" of=/dev/null bs=1M 2>/dev/null',
        new Connect(new GirderFileIdToStream(girderFile._id), new NamedInputPipe('in')),
      ],
    });
    ours.push(performance.now() - start);
    start = performance.now();
    await Promise.all([
      sh(
        `curl -sf -H 'Girder-Token: ${server.token}' -o ${join(dir, 'fifo', 'in')} ${server.apiUrl}/file/${girderFile._id}/download`,
      ),
      sh(
        `docker run --rm --network none -v ${join(dir, 'fifo')}:/f ${IMAGE} sh -c 'dd if=/f/in of=/dev/null bs=1M 2>/dev/null'`,
      ),
    ]);
    raw.push(performance.now() - start);
  }
  const best = (values: number[]) => Math.min(...values);
  const mibs = (ms: number) => (size / MiB / (ms / 1000)).toFixed(0);
  console.log('| benchmark | girder-worker | reference | ratio (target) |\n| --- | --- | --- | --- |');
  console.log(
    `| Girder file ${size / MiB} MiB → stream → named pipe → container (best of ${rounds}) | ${mibs(best(ours))} MiB/s | curl → FIFO → same consumer ${mibs(best(raw))} MiB/s | ${(best(raw) / best(ours)).toFixed(2)} (≥ 0.85) |`,
  );
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
