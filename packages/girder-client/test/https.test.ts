import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createServer } from 'node:tls';
import { makeTempDir, sha256Hex } from '@girder-worker/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createGirderClient,
  type GirderClient,
  isGirderHttpError,
  isGirderNetworkError,
} from '../src/index.ts';
import {
  downloadRequests,
  girderFile,
  MIN_CHUNK,
  MiB,
  pattern,
  recordingLogger,
  rejection,
  sleep,
  useGirder,
} from './support.ts';
import { type Certificate, makeCertificate, startTlsTerminator, trustCertificate } from './tls.ts';

// Downloads over https read on their own TLS connection into the same two reused buffers as
// over http: real TLS on loopback, a terminator in front of the test server, a certificate made
// for the test.
const girder = useGirder();

async function httpsClient(
  extra: { logger?: ReturnType<typeof recordingLogger> } = {},
): Promise<GirderClient> {
  const certificate = await makeCertificate();
  trustCertificate(certificate.cert);
  const port = await startTlsTerminator(Number(new URL(girder.server.apiUrl).port), certificate);
  return createGirderClient({
    apiUrl: `https://127.0.0.1:${port}${new URL(girder.server.apiUrl).pathname}`,
    token: girder.server.admin.token,
    minimumChunkBytes: MIN_CHUNK,
    retry: { limit: 3, backoffLimitMs: 20 },
    ...extra,
  });
}

const downloads = () => downloadRequests(girder.server);

describe('downloads over https', () => {
  it('lend chunks from two reused buffers, byte-exact, to a consumer slower than the network', async () => {
    const client = await httpsClient();
    expect(client.downloadTransport).toBe('http1');
    const data = pattern(24 * MiB, 11);
    const file = await girderFile(girder.server, data);
    const hash = createHash('sha256');
    const buffers = new Set<ArrayBufferLike>();
    let chunks = 0;
    for await (const chunk of client.downloadFileChunks(file._id)) {
      hash.update(chunk);
      buffers.add(chunk.buffer);
      // Slower than loopback now and then, so that both buffers fill and the connection pauses.
      if (++chunks % 4 === 0) await sleep(2);
    }
    expect(hash.digest('hex')).toBe(sha256Hex(data));
    expect(buffers.size).toBeLessThanOrEqual(2);
    expect(downloads().map((r) => r.status)).toEqual([200]);
  });

  it('write a file to a path, and give a Readable consumer chunks of its own', async () => {
    const client = await httpsClient();
    const data = pattern(8 * MiB, 13);
    const file = await girderFile(girder.server, data);
    const dir = await makeTempDir();
    await client.downloadFileToPath(file._id, join(dir, 'copy.bin'));
    expect(sha256Hex(await readFile(join(dir, 'copy.bin')))).toBe(sha256Hex(data));
    const kept: Buffer[] = [];
    await pipeline(
      client.downloadFile(file._id),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          kept.push(chunk);
          setTimeout(callback, kept.length % 8 === 0 ? 2 : 0);
        },
      }),
    );
    expect(Buffer.concat(kept).equals(data)).toBe(true);
  });

  it('resume a cut download with Range, retrying a 503 on the way', async () => {
    const logger = recordingLogger();
    const client = await httpsClient({ logger });
    const data = pattern(3 * MiB, 3);
    const file = await girderFile(girder.server, data);
    girder.server.faults.cutDownload({ afterBytes: 1 * MiB, count: 2 });
    girder.server.faults.failNext({ method: 'GET', path: /\/download$/, status: 503, after: 1 });
    const got = Buffer.concat(await Array.fromAsync(client.downloadFile(file._id)));
    expect(got.equals(data)).toBe(true);
    expect(downloads().map((r) => r.status)).toEqual([200, 503, 206, 206]);
    expect(logger.lines.filter((l) => l.startsWith('warn a Girder download was cut'))).toHaveLength(2);
  });

  it('serve a range and end exactly at endByte', async () => {
    const client = await httpsClient();
    const data = pattern(200_000, 7);
    const file = await girderFile(girder.server, data);
    const got = Buffer.concat(
      await Array.fromAsync(client.downloadFile(file._id, { offset: 1000, endByte: 150_000 })),
    );
    expect(got.equals(data.subarray(1000, 150_000))).toBe(true);
    expect(downloads().map((r) => r.status)).toEqual([206]);
  });

  it('stop with the abort reason and send nothing more', async () => {
    const client = await httpsClient();
    const file = await girderFile(girder.server, pattern(4 * MiB));
    const controller = new AbortController();
    const reason = new Error('enough');
    const error = await rejection(
      (async () => {
        for await (const _ of client.downloadFileChunks(file._id, { signal: controller.signal }))
          controller.abort(reason);
      })(),
    );
    expect(error).toBe(reason);
    await sleep(100);
    expect(downloads()).toHaveLength(1);
  });

  it('fail with a GirderHttpError for a missing file, without resuming', async () => {
    const client = await httpsClient();
    const error = await rejection(client.downloadFileToPath('0123456789abcdef01234567', '/dev/null'));
    expect(isGirderHttpError(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, girderMessage: 'No such file: 0123456789abcdef01234567' });
    expect(downloads()).toHaveLength(1);
  });
});

describe('the https transport', () => {
  async function rawTlsServer(certificate: Certificate, answer: string): Promise<number> {
    const server = createServer(certificate, (socket) => {
      socket.once('data', () => socket.end(answer));
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(async () => {
      await new Promise((resolve) => server.close(resolve));
    });
    return (server.address() as AddressInfo).port;
  }

  it('refuses a range that starts elsewhere than asked', async () => {
    const certificate = await makeCertificate();
    trustCertificate(certificate.cert);
    const port = await rawTlsServer(
      certificate,
      'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-2/8\r\nContent-Length: 3\r\n\r\nabc',
    );
    const client = createGirderClient({ apiUrl: `https://127.0.0.1:${port}/api/v1`, token: 't' });
    const error = await rejection(
      Array.fromAsync(client.downloadFile('0123456789abcdef01234567', { offset: 5 })),
    );
    expect(error).toMatchObject({
      name: 'GirderHttpError',
      girderMessage: 'asked for bytes from 5, got a range starting at 0',
    });
  });

  it('refuses a certificate nobody vouches for, naming why, and writes nothing', async () => {
    const untrusted = await makeCertificate();
    const port = await rawTlsServer(untrusted, 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
    const client = createGirderClient({ apiUrl: `https://127.0.0.1:${port}/api/v1`, token: 't' });
    const dir = await makeTempDir();
    const error = await rejection(
      client.downloadFileToPath('0123456789abcdef01234567', join(dir, 'x'), { maxResumes: 0 }),
    );
    expect(isGirderNetworkError(error)).toBe(true);
    expect(String((error as Error).cause)).toMatch(/self-signed certificate/);
    expect(await readdir(dir)).toEqual([]);
  });
});
