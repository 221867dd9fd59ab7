import { access } from 'node:fs/promises';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { isGirderTestServerError, startGirderTestServer } from '../src/index.ts';

afterEach(() => assertNoLeaks({ containers: false }));

describe('startGirderTestServer', () => {
  it('listens on a loopback port and removes its data directory on close, idempotently', async () => {
    const girder = await startGirderTestServer();
    expect(girder.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(girder.apiUrl).toBe(`${girder.url}/api/v1`);
    await access(girder.dataDir);
    await Promise.all([girder.close(), girder.close()]);
    await girder.close();
    await expect(access(girder.dataDir)).rejects.toThrow();
    await expect(fetch(`${girder.apiUrl}/user/me`)).rejects.toThrow();
  });

  it('closes through await using, also with a request in flight', async () => {
    let dataDir = '';
    let pending: Promise<unknown>;
    {
      await using girder = await startGirderTestServer();
      dataDir = girder.dataDir;
      // Longer than the test timeout: only close() can end this request in time.
      girder.faults.delay({ ms: 3_600_000 });
      pending = fetch(`${girder.apiUrl}/user/me`).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await expect(access(dataDir)).rejects.toThrow();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('rejects invalid options with an error naming the option', async () => {
    const attempt = (options: Record<string, unknown>) =>
      startGirderTestServer(options as Parameters<typeof startGirderTestServer>[0]).then(
        () => undefined,
        (error: unknown) => error,
      );
    const badHost = await attempt({ host: '0.0.0.0' });
    expect(isGirderTestServerError(badHost)).toBe(true);
    expect((badHost as Error).message).toBe(
      'startGirderTestServer: option "host" must be "127.0.0.1" (loopback only), got "0.0.0.0".',
    );
    expect((badHost as { code: string }).code).toBe('GIRDER_TEST_SERVER_INVALID_OPTION');
    expect(((await attempt({ minimumChunkSize: -1 })) as Error).message).toMatch(
      /option "minimumChunkSize" must be a non-negative integer/,
    );
    expect(((await attempt({ port: 70_000 })) as Error).message).toMatch(/option "port"/);
  });

  it('uses the admin credentials it is given', async () => {
    await using girder = await startGirderTestServer({ admin: { login: 'root', password: 'secret-pw' } });
    const res = await fetch(`${girder.apiUrl}/user/authentication`, {
      headers: { Authorization: `Basic ${Buffer.from('root:secret-pw').toString('base64')}` },
    });
    expect(res.status).toBe(200);
    expect(girder.admin).toMatchObject({ login: 'root', password: 'secret-pw' });
    await res.body?.cancel();
  });

  it('throws a not-found error from the direct API for unknown ids', async () => {
    await using girder = await startGirderTestServer();
    let caught: unknown;
    try {
      girder.getJob('0123456789abcdef01234567');
    } catch (error) {
      caught = error;
    }
    expect(isGirderTestServerError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe('GIRDER_TEST_SERVER_NOT_FOUND');
    await expect(
      girder.createFile({ itemId: '0123456789abcdef01234567', name: 'x', data: 'x' }),
    ).rejects.toThrow('No item with id 0123456789abcdef01234567 exists on this test server.');
  });
});
