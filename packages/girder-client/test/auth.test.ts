import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GirderClient, isGirderHttpError, isGirderNetworkError } from '../src/index.ts';
import { adminClient, recordingLogger, rejection, useGirder } from './support.ts';

const girder = useGirder();

describe('authentication', () => {
  it('logs in with a username and password and sends the token as Girder-Token', async () => {
    const { server } = girder;
    const client = new GirderClient({ apiUrl: server.apiUrl });
    expect(client.authenticated).toBe(false);
    const token = await client.authenticate({
      username: server.admin.login,
      password: server.admin.password,
    });
    expect(token.token).toMatch(/\S{20,}/);
    expect(client.authenticated).toBe(true);
    expect((await client.getMe())?.login).toBe(server.admin.login);
  });

  it('exchanges an API key for a token, given to the constructor or to authenticate', async () => {
    const { server } = girder;
    const fromConstructor = new GirderClient({ apiUrl: server.apiUrl, apiKey: server.admin.apiKey });
    await fromConstructor.authenticate();
    expect((await fromConstructor.getMe())?.login).toBe(server.admin.login);
    const fromCall = new GirderClient({ apiUrl: server.apiUrl });
    await fromCall.authenticate({ apiKey: server.admin.apiKey });
    expect((await fromCall.getMe())?._id).toBe(server.admin.user._id);
  });

  it('uses a given token, and is anonymous without one', async () => {
    const { server } = girder;
    expect((await adminClient(server).getMe())?.login).toBe(server.admin.login);
    expect(await new GirderClient({ apiUrl: server.apiUrl }).getMe()).toBeNull();
    const error = await rejection(
      new GirderClient({ apiUrl: server.apiUrl }).getFolder(server.admin.privateFolderId),
    );
    expect(isGirderHttpError(error) && error.status).toBe(401);
  });

  it('fails with a 401 GirderHttpError on a wrong password', async () => {
    const { server } = girder;
    const error = await rejection(
      new GirderClient({ apiUrl: server.apiUrl }).authenticate({
        username: server.admin.login,
        password: 'nope',
      }),
    );
    expect(isGirderHttpError(error)).toBe(true);
    expect(error).toMatchObject({ status: 401, method: 'GET', girderMessage: 'Login failed.' });
  });

  it('refuses to authenticate without credentials, naming what to give', async () => {
    const error = await rejection(new GirderClient({ apiUrl: girder.server.apiUrl }).authenticate());
    expect(String(error)).toMatch(/\{ username, password \} or \{ apiKey \}/);
  });
});

describe('secrets', () => {
  it('keeps tokens, API keys and passwords out of error messages, causes and log lines', async () => {
    const { server } = girder;
    const logger = recordingLogger();
    const secrets = [
      'wrong-password-123',
      'token-that-is-secret-42',
      'api-key-that-is-secret-7',
      server.admin.token,
    ];
    const errors: unknown[] = [];
    errors.push(
      await rejection(
        new GirderClient({ apiUrl: server.apiUrl, logger }).authenticate({
          username: server.admin.login,
          password: 'wrong-password-123',
        }),
      ),
    );
    errors.push(
      await rejection(
        new GirderClient({ apiUrl: server.apiUrl, logger }).authenticate({
          apiKey: 'api-key-that-is-secret-7',
        }),
      ),
    );
    const bad = new GirderClient({ apiUrl: server.apiUrl, token: 'token-that-is-secret-42', logger });
    errors.push(
      await rejection(
        bad.get('item', {
          searchParams: { folderId: server.admin.privateFolderId, token: 'token-that-is-secret-42' },
        }),
      ),
    );
    // A retried request logs a warning; a request that never gets an answer is a network error.
    server.faults.failNext({ path: '/user/me', status: 503 });
    const admin = adminClient(server, { logger });
    await admin.getMe();
    errors.push(await rejection(admin.getItem('000000000000000000000000')));
    const unreachable = new GirderClient({
      apiUrl: 'http://127.0.0.1:9/api/v1',
      token: server.admin.token,
      retry: 0,
      logger,
    });
    const network = await rejection(unreachable.getMe());
    expect(isGirderNetworkError(network)).toBe(true);
    errors.push(network);
    expect(logger.lines.some((line) => line.startsWith('warn retrying'))).toBe(true);
    expect(errors.filter(isGirderHttpError).map((e) => e.status)).toEqual([401, 400, 401, 400]);
    for (const error of errors) {
      const texts = [String(error), JSON.stringify(error), inspect(error, { depth: 10 })];
      for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
    }
    for (const secret of secrets) expect(logger.text()).not.toContain(secret);
    expect(String(errors[1])).toContain('key=***');
  });
});
