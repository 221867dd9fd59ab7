import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GirderTestServer, startGirderTestServer } from '../src/index.ts';
import { api, jsonOf } from './helpers.ts';

let girder: GirderTestServer;
beforeAll(async () => {
  girder = await startGirderTestServer();
});
afterAll(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});

describe('GET /system/version', () => {
  it('answers anonymously with a release girder_client compares as >= 2.3 and the start date', async () => {
    const { status, body } = await jsonOf<{ release: string; serverStartDate: string }>(
      await api(girder, '/system/version'),
    );
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['release', 'serverStartDate']);
    // girder_client: release.split('.', 2) >= ['2', '3'] (string-wise, as Python compares lists).
    const [major = '', minor = ''] = body.release.split('.');
    expect(major > '2' || (major === '2' && minor >= '3')).toBe(true);
    expect(body.serverStartDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(Date.parse(body.serverStartDate)).toBeLessThanOrEqual(Date.now());
  });
});

describe('GET /describe', () => {
  it('is a Swagger 2.0 document listing every route with its path parameters', async () => {
    const { status, body } = await jsonOf<{
      swagger: string;
      info: { title: string; version: string };
      host: string;
      basePath: string;
      paths: Record<
        string,
        Record<string, { parameters: { name: string; in: string }[]; security?: unknown }>
      >;
    }>(await api(girder, '/describe'));
    expect(status).toBe(200);
    expect(body.swagger).toBe('2.0');
    expect(body.info.title).toBe('Girder REST API');
    expect(`http://${body.host}${body.basePath}`).toBe(girder.apiUrl);
    for (const path of ['/system/version', '/resource/lookup', '/collection/{id}', '/file/chunk', '/job']) {
      expect(body.paths, path).toHaveProperty([path]);
    }
    expect(Object.keys(body.paths['/collection/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(body.paths['/folder/{id}/download']?.get?.parameters).toEqual([
      { name: 'id', in: 'path', required: true, type: 'string' },
    ]);
    expect(body.paths['/user/authentication']?.get?.security).toEqual([{ basicAuth: [] }]);
  });
});
