// Streamed download against curl from the same test server, and chunked upload throughput.
// Rerun: pnpm --filter @girder-worker/girder-client bench   (BENCH_MIB sets the size, default 1024)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGirderTestServerProcess } from '@girder-worker/girder-test-server';
import { GirderClient } from '../src/index.ts';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_MIB ?? 1024) * MiB;
const dir = await mkdtemp(join(tmpdir(), 'gw-client-bench-'));
// The server runs in its own process, as a real Girder would: client and server do not share a loop.
const server = await startGirderTestServerProcess();
try {
  const file = join(dir, 'data.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${size / MiB}`], { stdio: 'ignore' });
  const client = new GirderClient({ apiUrl: server.apiUrl, token: server.token });
  let start = performance.now();
  const uploaded = await client.uploadFile(
    { parentType: 'folder', parentId: server.privateFolderId, name: 'data.bin' },
    file,
  );
  const uploadMs = performance.now() - start;
  const rounds = 3;
  const ours: number[] = [];
  const curl: number[] = [];
  for (let i = 0; i < rounds; i++) {
    start = performance.now();
    let bytes = 0;
    for await (const chunk of client.downloadFile(uploaded._id)) bytes += (chunk as Buffer).length;
    if (bytes !== size) throw new Error(`downloaded ${bytes} bytes`);
    ours.push(performance.now() - start);
    start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn('curl', [
        '-sf',
        '-o',
        '/dev/null',
        '-H',
        `Girder-Token: ${server.token}`,
        `${server.apiUrl}/file/${uploaded._id}/download`,
      ]);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`curl exited ${code}`))));
    });
    curl.push(performance.now() - start);
  }
  const best = (values: number[]) => Math.min(...values);
  const mibs = (ms: number) => (size / MiB / (ms / 1000)).toFixed(0);
  console.log('| benchmark | girder-client | reference | ratio (target) |\n| --- | --- | --- | --- |');
  console.log(
    `| streamed download ${size / MiB} MiB (best of ${rounds}) | ${mibs(best(ours))} MiB/s | curl -o /dev/null ${mibs(best(curl))} MiB/s | ${(best(curl) / best(ours)).toFixed(2)} (≥ 0.9) |`,
  );
  console.log(`| chunked upload ${size / MiB} MiB (64 MiB chunks) | ${mibs(uploadMs)} MiB/s | | |`);
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
