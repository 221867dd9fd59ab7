// Streamed download against curl from the same test server, over http and over https through a
// TLS terminator (stunnel4), and chunked upload throughput.
// Rerun: pnpm --filter @girder-worker/girder-client bench   (BENCH_MIB sets the size, default 1024;
// BENCH_ROUNDS the interleaved rounds, default 5)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { startGirderTestServerProcess } from '@girder-worker/girder-test-server';
import { createGirderClient } from '../src/index.ts';
import { startStunnel } from './tls-terminator.ts';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_MIB ?? 1024) * MiB;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const dir = await mkdtemp(join(tmpdir(), 'gw-client-bench-'));
// The server runs in its own process, as a real Girder would: client and server do not share a loop.
const server = await startGirderTestServerProcess();
const tls = await startStunnel(dir, Number(new URL(server.apiUrl).port));
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
  const apiPath = new URL(server.apiUrl).pathname;
  const url = `${server.apiUrl}/file/${fileId}/download`;
  const count = (bytes: number) => {
    if (bytes !== size) throw new Error(`downloaded ${bytes} bytes of ${size}`);
  };
  // Each stream is consumed in-process and its bytes counted (what a caller does with them next).
  const drain = async (stream: Readable): Promise<void> => {
    let bytes = 0;
    for await (const chunk of stream) bytes += (chunk as Buffer).length;
    count(bytes);
  };
  const curl = (target: string, extra: string[] = []) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('curl', [
        '-sf',
        ...extra,
        '-o',
        '/dev/null',
        '-H',
        `Girder-Token: ${server.token}`,
        target,
      ]);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`curl exited ${code}`))));
    });
  const cases: Record<string, () => Promise<void>> = {
    client: () => drain(client.downloadFile(fileId)),
    // What curl -o does: the bytes written to a path (here /dev/null), chunk by chunk.
    toPath: () => client.downloadFileToPath(fileId, '/dev/null'),
    // Lent chunks, counted and dropped.
    chunks: async () => {
      let bytes = 0;
      for await (const chunk of client.downloadFileChunks(fileId)) bytes += chunk.byteLength;
      count(bytes);
    },
    fetch: async () => {
      const response = await fetch(url, { headers: { 'Girder-Token': server.token } });
      await drain(Readable.fromWeb(response.body as never));
    },
    curl: () => curl(url),
  };
  if (tls) {
    // The terminator's certificate is trusted the way a deployment would add its CA.
    setDefaultCACertificates([...getCACertificates('default'), tls.cert]);
    const httpsApi = `https://127.0.0.1:${tls.port}${apiPath}`;
    const https = createGirderClient({ apiUrl: httpsApi, token: server.token });
    // The client as it was before: every https download through fetch.
    const viaFetch = createGirderClient({ apiUrl: httpsApi, token: server.token, fetch });
    Object.assign(cases, {
      httpsToPath: () => https.downloadFileToPath(fileId, '/dev/null'),
      httpsChunks: async () => {
        let bytes = 0;
        for await (const chunk of https.downloadFileChunks(fileId)) bytes += chunk.byteLength;
        count(bytes);
      },
      httpsClient: () => drain(https.downloadFile(fileId)),
      httpsViaFetch: () => viaFetch.downloadFileToPath(fileId, '/dev/null'),
      httpsCurl: () => curl(`${httpsApi}/file/${fileId}/download`, ['--cacert', tls.certPath]),
    });
  }
  // Interleaved: every round runs every case once, so a load spike hits all of them alike.
  const times: Record<string, number[]> = {};
  for (let i = 0; i < rounds; i++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = performance.now();
      await run();
      const list = times[name] ?? [];
      list.push(performance.now() - start);
      times[name] = list;
    }
  }
  const best = (name: string) => Math.min(...(times[name] ?? [Number.NaN]));
  const mibs = (ms: number) => (size / MiB / (ms / 1000)).toFixed(0);
  // Per-round ratios (reference time / our time in the same round), sorted: min, median, max.
  const ratios = (name: string, reference: string) => {
    const ours = times[name] ?? [];
    const list = ours.map((ms, i) => (times[reference]?.[i] ?? Number.NaN) / ms).sort((a, b) => a - b);
    const median = list[Math.floor(list.length / 2)] ?? Number.NaN;
    return `${median.toFixed(2)} (rounds ${list.map((r) => r.toFixed(2)).join(' ')})`;
  };
  const n = size / MiB;
  const row = (label: string, name: string, reference: string, refLabel: string, target = '') =>
    console.log(
      `| ${label} | ${mibs(best(name))} MiB/s | ${refLabel} ${mibs(best(reference))} MiB/s | ${ratios(name, reference)}${target} |`,
    );
  console.log(
    `${n} MiB, ${rounds} interleaved rounds; MiB/s are the best round, ratios the median and each round's\n`,
  );
  console.log(
    '| benchmark | girder-client | reference | ratio, median (rounds) |\n| --- | --- | --- | --- |',
  );
  row('streamed download, consumed as a Readable', 'client', 'curl', 'curl -o /dev/null');
  row('downloadFileToPath to /dev/null', 'toPath', 'curl', 'curl -o /dev/null', ' (≥ 0.9)');
  row('downloadFileChunks, lent chunks counted', 'chunks', 'curl', 'curl -o /dev/null');
  row("downloadFile against Node's bare fetch + Readable.fromWeb", 'client', 'fetch', 'fetch');
  if (tls) {
    const ref = 'curl --cacert via stunnel';
    row('https (stunnel): downloadFileToPath to /dev/null', 'httpsToPath', 'httpsCurl', ref, ' (≥ 0.9)');
    row(
      'https (stunnel): downloadFileChunks, lent chunks counted',
      'httpsChunks',
      'httpsCurl',
      ref,
      ' (≥ 0.9)',
    );
    row('https (stunnel): downloadFile consumed as a Readable', 'httpsClient', 'httpsCurl', ref);
    row('https (stunnel): downloadFileToPath through fetch (before)', 'httpsViaFetch', 'httpsCurl', ref);
  } else {
    console.log(
      '| https rows | skipped: stunnel4 is not installed (bash scripts/setup-host.sh installs it) | | |',
    );
  }
  console.log(
    `| chunked upload from a path (64 MiB chunks, best of ${uploads.length}) | ${mibs(Math.min(...uploads))} MiB/s | | |`,
  );
} finally {
  await tls?.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
