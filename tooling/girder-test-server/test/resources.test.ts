import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CreatedUser,
  type GirderTestServer,
  type SeedResult,
  startGirderTestServer,
} from '../src/index.ts';
import { api, jsonOf } from './helpers.ts';

let girder: GirderTestServer;
let alice: CreatedUser;
let seeded: SeedResult;
beforeAll(async () => {
  girder = await startGirderTestServer();
  alice = await girder.createUser({ login: 'alice', password: 'alicepassword' });
  seeded = await girder.seed({
    collections: [
      {
        name: 'Data',
        folders: [
          { name: 'in/out', files: [{ name: 'a.txt', content: 'alpha' }] },
          { name: 'locked', public: false, files: [{ name: 'secret', content: 's' }] },
        ],
      },
    ],
  });
});
afterAll(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});

const id = (path: string): string => seeded.paths[path] as string;
const lookup = (path: string, token?: string) =>
  api(girder, `/resource/lookup?path=${encodeURIComponent(path)}`, { token });

describe('GET /resource/lookup', () => {
  it('finds a collection, a folder with an escaped "/", an item and a file by path', async () => {
    const folder = await jsonOf(await lookup('/collection/Data/in\\-out'));
    expect(folder.body).toMatchObject({
      _modelType: 'folder',
      name: 'in/out',
      _id: id('/collection/Data/in\\-out'),
    });
    const item = await jsonOf(await lookup('/collection/Data/in\\-out/a.txt'));
    expect(item.body).toMatchObject({ _modelType: 'item', name: 'a.txt' });
    const file = await jsonOf(await lookup('collection/Data/in\\-out/a.txt/a.txt'));
    expect(file.body).toMatchObject({ _modelType: 'file', name: 'a.txt', size: 5 });
    const user = await jsonOf(await lookup('/user/alice/Private', alice.token));
    expect(user.body).toMatchObject({ _id: alice.privateFolderId, _accessLevel: 2 });
  });

  it('answers 400 for an unknown root, a missing child, and a path the user may not read', async () => {
    const cases: [string, string | undefined, string][] = [
      ['/planet/x', undefined, 'Invalid path format'],
      ['/user/nobody', undefined, 'User not found: nobody'],
      ['/collection/Nope/x', undefined, 'Collection not found: Nope'],
      ['/collection/Data/missing', undefined, 'Path not found: collection/Data/missing'],
      ['/collection/Data/locked/secret', alice.token, 'Path not found: collection/Data/locked/secret'],
      ['/user/alice/Private', undefined, 'Path not found: user/alice/Private'],
    ];
    for (const [path, token, message] of cases) {
      const res = await jsonOf(await lookup(path, token));
      expect(res.status, path).toBe(400);
      expect(res.body, path).toEqual({ message, type: 'validation' });
    }
    const missing = await jsonOf(await api(girder, '/resource/lookup'));
    expect(missing.body).toEqual({ message: 'Parameter "path" is required.', type: 'rest' });
  });
});

describe('GET /resource/{id}/path', () => {
  /** GET /resource/{id}/path as the admin, or with another token (null: anonymous). */
  const pathOf = (resourceId: string, type: string, token: string | null = girder.admin.token) =>
    api(girder, `/resource/${resourceId}/path?type=${type}`, { token: token ?? undefined });

  it('gives the encoded path of each kind of resource', async () => {
    const expected: [string, string, string][] = [
      ['collection', '/collection/Data', '/collection/Data'],
      ['folder', '/collection/Data/in\\-out', '/collection/Data/in\\-out'],
      ['item', '/collection/Data/in\\-out/a.txt', '/collection/Data/in\\-out/a.txt'],
      ['file', '/collection/Data/in\\-out/a.txt/a.txt', '/collection/Data/in\\-out/a.txt/a.txt'],
    ];
    for (const [type, seedPath, path] of expected) {
      const res = await jsonOf<string>(await pathOf(id(seedPath), type));
      expect(res).toEqual({ status: 200, body: path });
    }
    expect((await jsonOf(await pathOf(alice.user._id, 'user'))).body).toBe('/user/alice');
  });

  it('answers 400 "Invalid resource id." when the id is of another type, the signal girder-client uses', async () => {
    const res = await jsonOf(await pathOf(id('/collection/Data/in\\-out/a.txt'), 'folder'));
    expect(res).toEqual({ status: 400, body: { message: 'Invalid resource id.', type: 'rest' } });
    const badType = await jsonOf(await pathOf(alice.user._id, 'planet'));
    expect(badType.body).toEqual({ message: 'Invalid resources format.', type: 'rest' });
    const badId = await jsonOf(await pathOf('nope', 'folder'));
    expect(badId.body).toEqual({ message: 'Invalid ObjectId: nope', type: 'validation', field: 'id' });
    const noType = await jsonOf(await api(girder, `/resource/${alice.user._id}/path`));
    expect(noType.body).toEqual({ message: 'Parameter "type" is required.', type: 'rest' });
  });

  it('answers 401 anonymous and 403 to another user for a resource they cannot read', async () => {
    const locked = id('/collection/Data/locked');
    expect((await pathOf(locked, 'folder', null)).status).toBe(401);
    const other = await jsonOf(await pathOf(locked, 'folder', alice.token));
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ type: 'access' });
  });
});

/**
 * girder-client's CLI with `--parent-type auto` (cli.py `_lookup_parent_type`): resolve a path
 * through /resource/lookup, then ask /resource/{id}/path for folder, collection, user, item, file
 * in that order; a 400 means "try the next type", anything else is fatal.
 */
async function cliParentType(idOrPath: string, token: string): Promise<string | undefined> {
  let objectId = idOrPath;
  if (idOrPath.startsWith('/')) {
    const res = await lookup(idOrPath, token);
    if (!res.ok) return undefined;
    objectId = ((await res.json()) as { _id: string })._id;
  }
  for (const type of ['folder', 'collection', 'user', 'item', 'file']) {
    const res = await api(girder, `/resource/${objectId}/path?type=${type}`, { token });
    await res.body?.cancel();
    if (res.ok) return type;
    if (res.status !== 400) throw new Error(`${type}: ${res.status}`);
  }
  return undefined;
}

describe("girder-client's CLI auto parent type over HTTP", () => {
  it('resolves every kind of id, and paths, in the CLI lookup order', async () => {
    const token = girder.admin.token;
    expect(await cliParentType(id('/collection/Data/in\\-out'), token)).toBe('folder');
    expect(await cliParentType(id('/collection/Data'), token)).toBe('collection');
    expect(await cliParentType(alice.user._id, token)).toBe('user');
    expect(await cliParentType(id('/collection/Data/in\\-out/a.txt'), token)).toBe('item');
    const before = girder.requests.length;
    expect(await cliParentType(id('/collection/Data/in\\-out/a.txt/a.txt'), token)).toBe('file');
    const tried = girder.requests.slice(before).filter((r) => r.path.endsWith('/path'));
    expect(tried.map((r) => [r.query.type, r.status])).toEqual([
      ['folder', 400],
      ['collection', 400],
      ['user', 400],
      ['item', 400],
      ['file', 200],
    ]);
    expect(await cliParentType('/collection/Data/in\\-out', token)).toBe('folder');
  });

  it('stops at an access error instead of trying the next type', async () => {
    await expect(cliParentType(id('/collection/Data/locked'), alice.token)).rejects.toThrow('folder: 403');
  });
});

describe('PUT /resource/{id}/timestamp', () => {
  it('lets a site admin set created/updated (UTC, as girder_client.setResourceTimestamp sends them)', async () => {
    const itemId = id('/collection/Data/in\\-out/a.txt');
    const res = await jsonOf(
      await api(
        girder,
        `/resource/${itemId}/timestamp?type=item&created=${encodeURIComponent('2020-01-02 03:04:05+02:00')}&updated=2021-06-07T08:09:10.5`,
        {
          method: 'PUT',
          token: girder.admin.token,
        },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      created: '2020-01-02T01:04:05+00:00',
      updated: '2021-06-07T08:09:10.500000+00:00',
    });
    const user = await jsonOf(
      await api(girder, `/resource/${alice.user._id}/timestamp?type=user&updated=2020-01-01`, {
        method: 'PUT',
        token: girder.admin.token,
      }),
    );
    expect(user.body).toEqual({ message: 'Resource has no "updated" field.', type: 'rest' });
    const notAdmin = await jsonOf(
      await api(girder, `/resource/${itemId}/timestamp?type=item&created=2020-01-01`, {
        method: 'PUT',
        token: alice.token,
      }),
    );
    expect(notAdmin).toEqual({
      status: 403,
      body: { message: 'Administrator access required.', type: 'access' },
    });
  });
});

describe('GET /resource/search', () => {
  it("finds readable resources by text or prefix, per type, as girder_client's docstring example asks", async () => {
    const search = async (query: string, token?: string) =>
      jsonOf<Record<string, { name?: string; login?: string }[]>>(
        await api(girder, `/resource/search?${query}`, { token }),
      );
    const text = await search(
      `q=${encodeURIComponent('a.txt')}&types=${encodeURIComponent('["folder","item","file","planet"]')}`,
    );
    expect(text.status).toBe(200);
    expect(Object.keys(text.body).sort()).toEqual(['file', 'folder', 'item']);
    expect(text.body.item?.map((i) => i.name)).toEqual(['a.txt']);
    expect(text.body.file?.map((f) => f.name)).toEqual(['a.txt']);
    const prefix = await search(
      `q=ali&mode=prefix&types=${encodeURIComponent('["user","collection"]')}`,
      girder.admin.token,
    );
    expect(prefix.body).toMatchObject({ user: [{ login: 'alice' }], collection: [] });
    const hidden = await search(`q=secret&types=${encodeURIComponent('["item"]')}`, alice.token);
    expect(hidden.body).toEqual({ item: [] });
    const bad = await search(`q=x&types=${encodeURIComponent('{}')}`);
    expect(bad.body).toEqual({ message: 'Parameter types must be a JSON array.', type: 'rest' });
    const mode = await search(`q=x&mode=fuzzy&types=${encodeURIComponent('[]')}`);
    expect(mode.body).toEqual({ message: "Search mode handler 'fuzzy' not found.", type: 'rest' });
  });
});
