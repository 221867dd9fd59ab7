import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openChunkedUpload } from '../src/chunked-upload.ts';
import { isHttpStreamError } from '../src/errors.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  sha256: string;
  bytes: number;
}

/** A loopback server; `handler` answers after the body has been read (unless it answers early). */
async function startServer(
  answer: (req: IncomingMessage, res: ServerResponse, received: Received) => void,
  early?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server: Server = createServer(async (req, res) => {
    if (early?.(req, res)) return;
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of req) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
    } catch {
      return; // the client went away (abort tests)
    }
    const entry = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      sha256: hash.digest('hex'),
      bytes,
    };
    received.push(entry);
    answer(req, res, entry);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe('openChunkedUpload', () => {
  it('streams 64 MiB as one chunked POST, byte-exact, with the given headers', async () => {
    const { url, received } = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const hash = createHash('sha256');
    const chunks = (function* () {
      for (let i = 0; i < 64; i++) {
        const chunk = randomBytes((1 << 20) + (i % 3));
        hash.update(chunk);
        yield chunk;
      }
    })();
    const upload = openChunkedUpload(`${url}/upload?name=x`, { headers: { 'Girder-Token': 'secret-token' } });
    await pipeline(Readable.from(chunks), upload);
    expect(upload.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: '/upload?name=x',
      sha256: hash.digest('hex'),
    });
    expect(received[0]?.headers['transfer-encoding']).toBe('chunked');
    expect(received[0]?.headers['girder-token']).toBe('secret-token');
  });

  it('fails with the status and body of a non-2xx answer, without the secrets of the query or headers', async () => {
    const { url } = await startServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Access denied"}');
    });
    const upload = openChunkedUpload(`${url}/upload?token=hidden-query`, {
      headers: { 'Girder-Token': 'secret-token' },
    });
    const error = await pipeline(Readable.from([Buffer.from('data')]), upload).catch((e: unknown) => e);
    expect(isHttpStreamError(error)).toBe(true);
    expect(error).toMatchObject({
      status: 403,
      body: '{"message":"Access denied"}',
      url: `${url}/upload?token=***`,
    });
    expect((error as Error).message).toContain('HTTP 403');
    expect((error as Error).message).not.toContain('hidden-query');
    expect((error as Error).message).not.toContain('secret-token');
  });

  it('stops sending when the server refuses before the body is complete', async () => {
    const { url } = await startServer(
      () => {},
      (_req, res) => {
        res.writeHead(413).end('too large');
        return true;
      },
    );
    let produced = 0;
    const endless = (function* () {
      for (;;) {
        produced += 65536;
        yield Buffer.alloc(65536);
      }
    })();
    const error = await pipeline(Readable.from(endless), openChunkedUpload(`${url}/x`)).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'HttpStreamError', status: 413, body: 'too large' });
    expect(produced).toBeLessThan(1 << 30);
  });

  it('fails with status 0 when nothing listens', async () => {
    const { url } = await startServer(() => {});
    const port = new URL(url).port;
    // Find a closed port: bind, note, close.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    expect(String(closedPort)).not.toBe(port);
    const error = await pipeline(
      Readable.from([Buffer.from('x')]),
      openChunkedUpload(`http://127.0.0.1:${closedPort}/x`),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HttpStreamError', status: 0 });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('aborts with the signal reason', async () => {
    const { url } = await startServer((_req, res) => res.end());
    const controller = new AbortController();
    const slow = (async function* () {
      yield Buffer.from('a');
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort(new Error('cancelled'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      yield Buffer.from('b');
    })();
    const error = await pipeline(slow, openChunkedUpload(url, { signal: controller.signal })).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe('cancelled');
  });

  it('rejects bad URLs and header values', () => {
    expect(() => openChunkedUpload('not a url')).toThrow(/expected an absolute http\(s\) URL/);
    expect(() => openChunkedUpload('ftp://127.0.0.1/x')).toThrow(/expected an http: or https: URL/);
    expect(() => openChunkedUpload('http://127.0.0.1/x', { headers: { a: 1 as never } })).toThrow(
      /headers\.a: expected a string/,
    );
  });

  it('shows its target with the secrets masked, and refuses a bad URL without echoing them', () => {
    const stream = openChunkedUpload('https://user:pw@127.0.0.1:8443/api/v1/file?token=abc&offset=0');
    expect(stream.url).toBe('https://user:***@127.0.0.1:8443/api/v1/file?token=***&offset=0');
    stream.destroy();
    expect(() => openChunkedUpload('//user:pw@[bad?token=abc')).toThrow(
      /got \/\/\*\*\*@\[bad\?token=\*\*\*$/,
    );
  });
});
