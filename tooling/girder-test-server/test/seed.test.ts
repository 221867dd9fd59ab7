import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GirderTestServer, isGirderTestServerError, startGirderTestServer } from '../src/index.ts';
import { api, jsonOf } from './helpers.ts';

let girder: GirderTestServer;
beforeAll(async () => {
  girder = await startGirderTestServer();
});
afterAll(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});

describe('seed()', () => {
  it('creates users with folders, collections with trees, and reports ids by path', async () => {
    const result = await girder.seed({
      users: [
        { login: 'Dana', password: 'pw', folders: [{ name: 'Public', folders: [{ name: 'shared' }] }] },
      ],
      collections: [
        {
          name: 'Lab',
          public: false,
          creator: 'dana',
          folders: [{ name: 'runs', items: [{ name: 'r1', meta: { ok: true } }] }],
        },
      ],
    });
    const dana = result.users.dana;
    expect(dana?.publicFolderId).toBe(result.paths['/user/dana/Public']);
    expect(Object.keys(result.paths).sort()).toEqual([
      '/collection/Lab',
      '/collection/Lab/runs',
      '/collection/Lab/runs/r1',
      '/user/dana',
      '/user/dana/Public',
      '/user/dana/Public/shared',
    ]);
    // The collection is private and owned by dana: its folder inherits that (Girder's copyAccessPolicies).
    const runs = result.paths['/collection/Lab/runs'] as string;
    expect((await api(girder, `/folder/${runs}`)).status).toBe(401);
    const asDana = await jsonOf(await api(girder, `/folder/${runs}`, { token: dana?.token }));
    expect(asDana.body).toMatchObject({ public: false, _accessLevel: 2 });
    expect(girder.getItem(result.paths['/collection/Lab/runs/r1'] as string).meta).toEqual({ ok: true });
  });

  it('checks the whole seed first and names the bad field', async () => {
    const attempt = async (seed: unknown): Promise<unknown> =>
      girder.seed(seed as Parameters<GirderTestServer['seed']>[0]).then(
        () => undefined,
        (error: unknown) => error,
      );
    const cases: [unknown, string][] = [
      [[], 'seed: expected an object, got [].'],
      [{ groups: [] }, 'seed.groups: expected no such field (allowed: users, collections), got "groups".'],
      [
        { users: [{ login: '', password: 'x' }] },
        'seed.users[0].login: expected a non-empty string, got "".',
      ],
      [
        {
          collections: [
            { name: 'C', folders: [{ name: 'f', files: [{ name: 'a', content: 'x', base64: 'eA==' }] }] },
          ],
        },
        'seed.collections[0].folders[0].files[0]: expected exactly one of "content", "base64", "path", got ["content","base64"].',
      ],
      [
        { users: [{ login: 'u', password: 'p', apiKeys: [{ scope: [1] }] }] },
        'seed.users[0].apiKeys[0].scope[0]: expected a string, got 1.',
      ],
    ];
    for (const [seed, message] of cases) {
      const error = await attempt(seed);
      expect(isGirderTestServerError(error), message).toBe(true);
      expect((error as Error).message).toBe(message);
      expect((error as { code: string }).code).toBe('GIRDER_TEST_SERVER_INVALID_SEED');
    }
    // Nothing of a refused seed was created.
    expect((await jsonOf(await api(girder, '/resource/lookup?path=/collection/C'))).status).toBe(400);
    const unknownCreator = await attempt({
      users: [{ login: 'early', password: 'p' }],
      collections: [{ name: 'X', creator: 'nobody' }],
    });
    expect((unknownCreator as Error).message).toBe(
      'seed.collections[0].creator: expected the login of an existing or seeded user, got "nobody".',
    );
    expect((await jsonOf(await api(girder, '/resource/lookup?path=/user/early'))).status).toBe(400);
  });
});
