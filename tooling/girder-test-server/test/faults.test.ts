import { randomBytes } from 'node:crypto';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FileDoc, type GirderTestServer, startGirderTestServer } from '../src/index.ts';
import { api, jsonOf } from './helpers.ts';

let girder: GirderTestServer;
let file: FileDoc;
const data = randomBytes(200_000);
beforeAll(async () => {
  girder = await startGirderTestServer();
  const item = girder.createItem({ folderId: girder.admin.privateFolderId, name: 'f' });
  file = await girder.createFile({ itemId: item._id, name: 'f.bin', data });
});
afterAll(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});
afterEach(() => girder.faults.clear());

const me = () => api(girder, '/user/me', { token: girder.admin.token });

describe('faults.failNext', () => {
  it('fails the next matching request with the status and a Girder error body, then lets requests through', async () => {
    girder.faults.failNext({ path: '/user/me', status: 503 });
    const failed = await jsonOf(await me());
    expect(failed).toEqual({ status: 503, body: { message: 'Injected fault (status 503).', type: 'rest' } });
    expect((await me()).status).toBe(200);
  });

  it('skips `after` matches, fails `count`, and matches method and RegExp paths', async () => {
    girder.faults.failNext({
      method: 'GET',
      path: /^\/user\//,
      status: 502,
      after: 1,
      count: 2,
      message: 'bad gateway',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await me()).status);
    expect(statuses).toEqual([200, 502, 502, 200]);
    girder.faults.failNext({ method: 'POST', path: '/user/me', status: 500 });
    expect((await me()).status).toBe(200);
    expect(girder.faults.pending).toBe(1);
  });

  it('matches the full URL path too', async () => {
    girder.faults.failNext({ path: '/api/v1/user/me', status: 429 });
    expect((await me()).status).toBe(429);
  });

  it('is cleared by clear()', async () => {
    girder.faults.failNext({ status: 500, count: 5 });
    girder.faults.clear();
    expect(girder.faults.pending).toBe(0);
    expect((await me()).status).toBe(200);
  });

  it('validates its options', () => {
    expect(() => girder.faults.failNext({ status: 42 })).toThrow(/status must be an HTTP status/);
    expect(() => girder.faults.delay({ ms: 1, count: 0 })).toThrow(/count must be a positive integer/);
  });
});

describe('faults.cutDownload', () => {
  it('destroys the connection after N body bytes, and the next download is whole', async () => {
    girder.faults.cutDownload({ path: /\/download$/, afterBytes: 70_000 });
    const res = await api(girder, `/file/${file._id}/download`, { token: girder.admin.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(data.length));
    let received = 0;
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += value.length;
        }
      })(),
    ).rejects.toThrow();
    expect(received).toBe(70_000);
    const whole = await api(girder, `/file/${file._id}/download`, { token: girder.admin.token });
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(data);
  });

  it('lets a client resume with a Range from the bytes it got', async () => {
    girder.faults.cutDownload({ afterBytes: 12_345 });
    const first = await api(girder, `/file/${file._id}/download`, { token: girder.admin.token });
    const parts: Buffer[] = [];
    try {
      for await (const chunk of first.body as unknown as AsyncIterable<Uint8Array>)
        parts.push(Buffer.from(chunk));
    } catch {
      // cut
    }
    const got = Buffer.concat(parts);
    expect(got.length).toBe(12_345);
    const rest = await api(girder, `/file/${file._id}/download`, {
      token: girder.admin.token,
      headers: { Range: `bytes=${got.length}-` },
    });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([got, Buffer.from(await rest.arrayBuffer())])).toEqual(data);
  });
});

describe('faults.delay', () => {
  it('waits before answering the matching request', async () => {
    girder.faults.delay({ path: '/user/me', ms: 150 });
    const before = girder.requests.length;
    const start = performance.now();
    expect((await me()).status).toBe(200);
    // A lower bound holds on a loaded machine (a timer never fires early); an upper one would not.
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
    expect((await me()).status).toBe(200);
    expect(girder.requests.slice(before).map((r) => r.fault)).toEqual(['delay', undefined]);
    expect(girder.faults.pending).toBe(0);
  });
});

describe('server.requests', () => {
  it('records method, path, query, status and injected faults', async () => {
    const before = girder.requests.length;
    girder.faults.failNext({ path: '/folder', status: 500 });
    await (await api(girder, `/folder?parentType=user&parentId=${girder.admin.user._id}`)).arrayBuffer();
    await (await api(girder, `/folder?parentType=user&parentId=${girder.admin.user._id}`)).arrayBuffer();
    const recent = girder.requests.slice(before);
    expect(recent).toEqual([
      {
        method: 'GET',
        path: '/api/v1/folder',
        query: { parentType: 'user', parentId: girder.admin.user._id },
        status: 500,
        fault: 'fail',
      },
      {
        method: 'GET',
        path: '/api/v1/folder',
        query: { parentType: 'user', parentId: girder.admin.user._id },
        status: 200,
      },
    ]);
  });
});
