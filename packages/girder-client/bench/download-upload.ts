// Streamed download against curl from the same test server, and chunked upload throughput.
// Rerun: pnpm --filter @girder-worker/girder-client bench   (BENCH_MIB sets the size, default 1024)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startGirderTestServerProcess } from '@girder-worker/girder-test-server';
import { createGirderClient } from '../src/index.ts';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_MIB ?? 1024) * MiB;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const dir = await mkdtemp(join(tmpdir(), 'gw-client-bench-'));
// The server runs in its own process, as a real Girder would: client and server do not share a loop.
const server = await startGirderTestServerProcess();
try {
  const file = join(dir, 'data.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${size / MiB}`], { stdio: 'ignore' });
  const client = createGirderClient({ apiUrl: server.apiUrl, token: server.token });
  const uploads: number[] = [];
  let fileId = '';
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    const uploaded = await client.uploadFile(
      { parentType: 'folder', parentId: server.privateFolderId, name: `data-${i}.bin` },
      file,
    );
    uploads.push(performance.now() - start);
    fileId = uploaded._id;
  }
  const url = `${server.apiUrl}/file/${fileId}/download`;
  const timed = async (run: () => Promise<void>): Promise<number> => {
    const start = performance.now();
    await run();
    return performance.now() - start;
  };
  // Each stream is consumed in-process and its bytes counted (what a caller does with them next).
  const drain = async (stream: Readable): Promise<void> => {
    let bytes = 0;
    for await (const chunk of stream) bytes += (chunk as Buffer).length;
    if (bytes !== size) throw new Error(`downloaded ${bytes} bytes of ${size}`);
  };
  const cases: Record<string, () => Promise<void>> = {
    client: () => drain(client.downloadFile(fileId)),
    // What curl -o does: the bytes written to a path (here /dev/null), chunk by chunk.
    toPath: () => client.downloadFileToPath(fileId, '/dev/null'),
    // Lent chunks, counted and dropped.
    chunks: async () => {
      let bytes = 0;
      for await (const chunk of client.downloadFileChunks(fileId)) bytes += chunk.byteLength;
      if (bytes !== size) throw new Error(`downloaded ${bytes} bytes of ${size}`);
    },
    fetch: async () => {
      const response = await fetch(url, { headers: { 'Girder-Token': server.token } });
      await drain(Readable.fromWeb(response.body as never));
    },
    curl: () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn('curl', ['-sf', '-o', '/dev/null', '-H', `Girder-Token: ${server.token}`, url]);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`curl exited ${code}`))));
      }),
  };
  const times: Record<string, number[]> = {};
  for (let i = 0; i < rounds; i++) {
    for (const [name, run] of Object.entries(cases)) {
      const list = times[name] ?? [];
      list.push(await timed(run));
      times[name] = list;
    }
  }
  const best = (name: string) => Math.min(...(times[name] ?? [Number.NaN]));
  const mibs = (ms: number) => (size / MiB / (ms / 1000)).toFixed(0);
  const n = size / MiB;
  console.log('| benchmark | girder-client | reference | ratio (target) |\n| --- | --- | --- | --- |');
  console.log(
    `| streamed download ${n} MiB, consumed (best of ${rounds}) | ${mibs(best('client'))} MiB/s | curl -o /dev/null ${mibs(best('curl'))} MiB/s | ${(best('curl') / best('client')).toFixed(2)} (≥ 0.9) |`,
  );
  console.log(
    `| downloadFileToPath ${n} MiB to /dev/null (best of ${rounds}) | ${mibs(best('toPath'))} MiB/s | curl -o /dev/null ${mibs(best('curl'))} MiB/s | ${(best('curl') / best('toPath')).toFixed(2)} (≥ 0.9) |`,
  );
  console.log(
    `| downloadFileChunks ${n} MiB, lent chunks counted (best of ${rounds}) | ${mibs(best('chunks'))} MiB/s | curl -o /dev/null ${mibs(best('curl'))} MiB/s | ${(best('curl') / best('chunks')).toFixed(2)} |`,
  );
  console.log(
    `| downloadFile against Node's bare fetch + Readable.fromWeb | ${mibs(best('client'))} MiB/s | fetch ${mibs(best('fetch'))} MiB/s | ${(best('fetch') / best('client')).toFixed(2)} |`,
  );
  console.log(
    `| chunked upload ${n} MiB from a path (64 MiB chunks, best of ${uploads.length}) | ${mibs(Math.min(...uploads))} MiB/s | | |`,
  );
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
