import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256Hex } from '@girder-worker/test-helpers';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { GirderClient, isGirderNetworkError } from '../src/index.ts';
import {
  adminClient,
  girderFile,
  MiB,
  pattern,
  recordingLogger,
  rejection,
  sleep,
  useGirder,
} from './support.ts';

// downloadFile, downloadFileToPath and downloadFileChunks read plain-http answers on their own
// HTTP/1.1 connection into two reused buffers; these tests aim at that transport's edges.
const girder = useGirder();

/** Starts a server on a free loopback port, closed when the test ends. */
async function listen<T extends Server | NetServer>(server: T): Promise<{ server: T; port: number }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    (server as Server).closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** A raw TCP server that answers every connection with `answer(socket)`; closes what it opened. */
async function rawServer(answer: (socket: import('node:net').Socket) => void) {
  const sockets = new Set<import('node:net').Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    answer(socket);
    // Read whatever comes (the request), so that the client's close is seen and ends this side.
    socket.resume();
  });
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy();
  });
  return listen(server);
}

describe('the download transport', () => {
  it('lends chunks from two reused buffers, byte-exact, to a consumer slower than the network', async () => {
    const data = pattern(24 * MiB, 11);
    const file = await girderFile(girder.server, data);
    const hash = createHash('sha256');
    const buffers = new Set<ArrayBufferLike>();
    let chunks = 0;
    for await (const chunk of adminClient(girder.server).downloadFileChunks(file._id)) {
      hash.update(chunk);
      buffers.add(chunk.buffer);
      // Slower than loopback now and then, so that both buffers fill and the connection pauses.
      if (++chunks % 4 === 0) await sleep(2);
    }
    expect(hash.digest('hex')).toBe(sha256Hex(data));
    expect(buffers.size).toBeLessThanOrEqual(2);
    expect(chunks).toBeGreaterThan(24);
  });

  it('gives a Readable consumer chunks of its own, intact after later reads', async () => {
    const data = pattern(8 * MiB, 13);
    const file = await girderFile(girder.server, data);
    const kept: Buffer[] = [];
    await pipeline(
      adminClient(girder.server).downloadFile(file._id),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          kept.push(chunk);
          setTimeout(callback, kept.length % 8 === 0 ? 2 : 0);
        },
      }),
    );
    expect(Buffer.concat(kept).equals(data)).toBe(true);
  });

  it('closes the connection when the iteration stops early, with no further request', async () => {
    const file = await girderFile(girder.server, pattern(8 * MiB));
    for await (const _ of adminClient(girder.server).downloadFileChunks(file._id)) break;
    await sleep(100);
    const downloads = girder.server.requests.filter((r) => r.path.endsWith('/download'));
    expect(downloads).toHaveLength(1);
  });

  it('follows a redirect through fetch (as to an S3 assetstore)', async () => {
    const data = pattern(3 * MiB, 5);
    const blob = await listen(
      createHttpServer((_request, response) => {
        response.writeHead(200, { 'Content-Length': data.length }).end(data);
      }),
    );
    const api = await listen(
      createHttpServer((_request, response) => {
        response.writeHead(303, { Location: `http://127.0.0.1:${blob.port}/bucket/data.bin` }).end();
      }),
    );
    const logger = recordingLogger();
    const client = new GirderClient({ apiUrl: `http://127.0.0.1:${api.port}/api/v1`, token: 't', logger });
    const got = Buffer.concat(await Array.fromAsync(client.downloadFile('0123456789abcdef01234567')));
    expect(got.equals(data)).toBe(true);
    expect(logger.text()).toContain('Girder download goes through fetch');
  });

  it('reads a chunked answer through fetch, and a body framed by the end of the connection itself', async () => {
    const data = pattern(2 * MiB, 3);
    const chunked = await listen(
      createHttpServer((_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        response.write(data.subarray(0, MiB));
        response.end(data.subarray(MiB));
      }),
    );
    const closing = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n',
        );
        socket.end(data);
      });
    });
    for (const port of [chunked.port, closing.port]) {
      const client = new GirderClient({ apiUrl: `http://127.0.0.1:${port}/api/v1`, token: 't' });
      const got = Buffer.concat(await Array.fromAsync(client.downloadFile('0123456789abcdef01234567')));
      expect(got.equals(data)).toBe(true);
    }
  });

  it('sends the token and Range as headers, never in the request line', async () => {
    const requests: string[] = [];
    const { port } = await rawServer((socket) => {
      socket.once('data', (head: Buffer) => {
        requests.push(head.toString('latin1'));
        socket.end(
          'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-7/8\r\nContent-Length: 3\r\n\r\nabc',
        );
      });
    });
    const client = new GirderClient({ apiUrl: `http://127.0.0.1:${port}/api/v1`, token: 'secret-token' });
    const got = Buffer.concat(
      await Array.fromAsync(client.downloadFile('0123456789abcdef01234567', { offset: 5 })),
    );
    expect(got.toString()).toBe('abc');
    const [line, ...headers] = (requests[0] ?? '').split('\r\n');
    expect(line).toBe('GET /api/v1/file/0123456789abcdef01234567/download HTTP/1.1');
    expect(headers).toContain('Girder-Token: secret-token');
    expect(headers).toContain('Range: bytes=5-');
  });

  it('refuses a range that starts elsewhere than asked, rather than splice bytes in', async () => {
    const { port } = await rawServer((socket) => {
      socket.once('data', () => {
        socket.end(
          'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-2/8\r\nContent-Length: 3\r\n\r\nabc',
        );
      });
    });
    const client = new GirderClient({ apiUrl: `http://127.0.0.1:${port}/api/v1`, token: 't' });
    const error = await rejection(
      Array.fromAsync(client.downloadFile('0123456789abcdef01234567', { offset: 5 })),
    );
    expect(error).toMatchObject({
      name: 'GirderHttpError',
      status: 206,
      girderMessage: 'asked for bytes from 5, got a range starting at 0',
    });
  });

  it('gives up with a GirderNetworkError when no answer comes within the timeout', async () => {
    const { port } = await rawServer(() => {});
    const client = new GirderClient({ apiUrl: `http://127.0.0.1:${port}/api/v1`, token: 't', timeout: 100 });
    const error = await rejection(
      Array.fromAsync(client.downloadFile('0123456789abcdef01234567', { maxResumes: 1 })),
    );
    expect(isGirderNetworkError(error)).toBe(true);
    expect(String(error)).toMatch(/gave up after 1 resumes at byte 0/);
    expect(String((error as Error).cause)).toContain('no answer within the 100 ms timeout');
  });

  it('refuses an answer that is not HTTP, naming what came', async () => {
    const { port } = await rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    const client = new GirderClient({ apiUrl: `http://127.0.0.1:${port}/api/v1`, token: 't' });
    const error = await rejection(
      client.downloadFileToPath('0123456789abcdef01234567', '/dev/null', { maxResumes: 0 }),
    );
    expect(isGirderNetworkError(error)).toBe(true);
    expect(String((error as Error).cause)).toContain('not an HTTP/1.1 answer: "SSH-2.0-OpenSSH_9.2"');
    // The failed download removes a partial regular file only: /dev/null is still the device.
    expect((await stat('/dev/null')).isCharacterDevice()).toBe(true);
  });

  it('goes through a custom fetch when one is given', async () => {
    const data = pattern(100_000);
    const file = await girderFile(girder.server, data);
    const spy = vi.fn(fetch);
    const client = adminClient(girder.server, { fetch: spy as typeof fetch });
    const got = Buffer.concat(await Array.fromAsync(client.downloadFile(file._id)));
    expect(got.equals(data)).toBe(true);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
