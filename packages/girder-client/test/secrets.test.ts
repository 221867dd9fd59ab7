import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGirderClient, isGirderHttpError } from '../src/index.ts';
import { recordingLogger, rejection } from './support.ts';

// A Girder, or a proxy in front of it, that echoes the request (line, query, headers) in its
// error answers: the client must keep every secret it knows out of what it stores and logs.
const TOKEN = 'tok3n-Secret-0123456789abcdef';
const API_KEY = 'apiK3y-Secret-fedcba9876543210';
const PASSWORD = 'pa ss/w:rd+Secret!42';
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');
const SECRETS = [TOKEN, API_KEY, PASSWORD, BASIC, encodeURIComponent(PASSWORD)];

async function echoServer(status: (request: IncomingMessage) => number): Promise<string> {
  const server = createServer((request, response) => {
    const echo = `${request.method} ${request.url} ${JSON.stringify(request.headers)}`;
    response.writeHead(status(request), { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ message: `echo: ${echo}`, type: `type ${echo}`, field: echo }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
}

/** Everything an error keeps, as text: message, fields, stack, and its causes, all the way down. */
function everything(error: unknown): string {
  const parts = [String(error), inspect(error, { depth: 20 })];
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    parts.push(e.message, e.stack ?? '', JSON.stringify({ ...e }));
  }
  return parts.join('\n');
}

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('secrets echoed back by the server', () => {
  it('are masked in a GirderHttpError, its fields and its cause', async () => {
    const apiUrl = await echoServer(() => 400);
    const client = createGirderClient({ apiUrl, token: TOKEN });
    const error = await rejection(client.getFolder('0123456789abcdef01234567'));
    expect(isGirderHttpError(error) && error.status).toBe(400);
    // The echo did arrive: the masked header is there, in place.
    expect(String(error)).toContain('"girder-token":"***"');
    expectNoSecret(everything(error));
  });

  it('are masked after a login with a password (the password and its Basic form)', async () => {
    const apiUrl = await echoServer(() => 401);
    const client = createGirderClient({ apiUrl });
    const error = await rejection(client.authenticate({ username: 'alice', password: PASSWORD }));
    expect(String(error)).toContain('"authorization":"Basic ***"');
    expectNoSecret(everything(error));
  });

  it('are masked after a login with an API key sent in the query', async () => {
    const apiUrl = await echoServer(() => 400);
    const client = createGirderClient({ apiUrl, apiKey: API_KEY });
    const error = await rejection(client.authenticate());
    expect(String(error)).toContain('key=***');
    expectNoSecret(everything(error));
  });

  it('are masked in errors of downloads on their own connection, and through fetch', async () => {
    const apiUrl = await echoServer(() => 403);
    for (const client of [
      createGirderClient({ apiUrl, token: TOKEN }),
      createGirderClient({ apiUrl, token: TOKEN, fetch }),
    ]) {
      const error = await rejection(client.downloadFileToPath('0123456789abcdef01234567', '/dev/null'));
      expect(isGirderHttpError(error) && error.status).toBe(403);
      expectNoSecret(everything(error));
    }
  });

  it('are masked in retry log lines and in the error after the retries, for a token replaced later', async () => {
    const apiUrl = await echoServer(() => 503);
    const logger = recordingLogger();
    const client = createGirderClient({
      apiUrl,
      apiKey: API_KEY,
      logger,
      retry: { limit: 2, backoffLimitMs: 5 },
    });
    client.setToken(TOKEN);
    client.setToken('a-newer-token-0000000000');
    const error = await rejection(client.get('item', { searchParams: { key: API_KEY, text: TOKEN } }));
    expect(logger.lines.filter((line) => line.startsWith('warn retrying'))).toHaveLength(2);
    expectNoSecret(logger.text());
    expectNoSecret(everything(error));
    expect(everything(error)).not.toContain('a-newer-token-0000000000');
  });
});
