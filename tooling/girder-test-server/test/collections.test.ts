import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreatedUser, type GirderTestServer, startGirderTestServer } from '../src/index.ts';
import { api, form, jsonOf } from './helpers.ts';

let girder: GirderTestServer;
let alice: CreatedUser;
beforeAll(async () => {
  girder = await startGirderTestServer();
  alice = await girder.createUser({ login: 'alice', password: 'alicepassword' });
});
afterAll(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});

type Collection = { _id: string; name: string; description: string; public: boolean; meta: object };

/** POST /collection as the admin, or with another token (null: anonymous). */
const create = (fields: Record<string, string | boolean>, token: string | null = girder.admin.token) =>
  api(girder, '/collection', { method: 'POST', token: token ?? undefined, ...form(fields) });

describe('POST /collection', () => {
  it('creates a collection with Girder fields (no creatorId), private by default', async () => {
    const { status, body } = await jsonOf<Collection & Record<string, unknown>>(
      await create({ name: '  Imaging  ', description: ' scans ' }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      _modelType: 'collection',
      name: 'Imaging',
      description: 'scans',
      public: false,
      size: 0,
      meta: {},
      _accessLevel: 2,
    });
    expect(body).not.toHaveProperty('creatorId');
    expect(body.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  it('refuses a duplicate or empty name with field "name"', async () => {
    await create({ name: 'Once' });
    const dup = await jsonOf(await create({ name: 'Once' }));
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({
      message: 'A collection with that name already exists.',
      type: 'validation',
      field: 'name',
    });
    const empty = await jsonOf(await create({ name: '   ' }));
    expect(empty.body).toEqual({
      message: 'Collection name must not be empty.',
      type: 'validation',
      field: 'name',
    });
    const missing = await jsonOf(await create({}));
    expect(missing.body).toEqual({ message: 'Parameter "name" is required.', type: 'rest' });
  });

  it('answers 401 anonymous and 403 to a user who is not a site admin', async () => {
    const anonymous = await jsonOf(await create({ name: 'anon' }, null));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ message: 'You must be logged in.', type: 'access' });
    const user = await jsonOf(await create({ name: 'by alice' }, alice.token));
    expect(user.status).toBe(403);
    expect(user.body).toEqual({ message: 'You are not authorized to create collections.', type: 'access' });
  });
});

describe('GET /collection', () => {
  it('lists readable collections by name with paging and Girder-Total-Count', async () => {
    for (const name of ['list-c', 'list-a', 'list-b']) await create({ name, public: true });
    await create({ name: 'list-hidden', public: false });
    const page = async (query: string, token?: string) => {
      const res = await api(girder, `/collection?text=list${query}`, { token });
      return {
        total: res.headers.get('Girder-Total-Count'),
        names: ((await res.json()) as Collection[]).map((c) => c.name),
      };
    };
    expect(await page('&limit=2')).toEqual({ total: '3', names: ['list-a', 'list-b'] });
    expect(await page('&limit=2&offset=2')).toEqual({ total: '3', names: ['list-c'] });
    expect(await page('', girder.admin.token)).toEqual({
      total: '4',
      names: ['list-a', 'list-b', 'list-c', 'list-hidden'],
    });
    expect((await page('&sortdir=-1&limit=1')).names).toEqual(['list-c']);
  });
});

describe('GET/PUT/DELETE /collection/{id}', () => {
  it('reads a public collection anonymously and hides a private one (401, then 403)', async () => {
    const open = await jsonOf<Collection>(await create({ name: 'open', public: true }));
    const closed = await jsonOf<Collection>(await create({ name: 'closed' }));
    expect((await api(girder, `/collection/${open.body._id}`)).status).toBe(200);
    const anonymous = await jsonOf(await api(girder, `/collection/${closed.body._id}`));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({
      message: `Read access denied for collection ${closed.body._id} (user None).`,
      type: 'access',
    });
    const other = await api(girder, `/collection/${closed.body._id}`, { token: alice.token });
    expect(other.status).toBe(403);
    await other.body?.cancel();
    const missing = await jsonOf(await api(girder, '/collection/0123456789abcdef01234567'));
    expect(missing.body).toEqual({
      message: 'No such collection: 0123456789abcdef01234567',
      type: 'validation',
      field: 'id',
    });
  });

  it('renames with the same validation and needs write access', async () => {
    const coll = await jsonOf<Collection>(await create({ name: 'before', public: true }));
    await create({ name: 'taken' });
    const put = (fields: Record<string, string>, token = girder.admin.token) =>
      api(girder, `/collection/${coll.body._id}`, { method: 'PUT', token, ...form(fields) });
    const renamed = await jsonOf<Collection>(await put({ name: ' after ', description: 'new' }));
    expect(renamed.body).toMatchObject({ name: 'after', description: 'new' });
    const clash = await jsonOf(await put({ name: 'taken' }));
    expect(clash.body).toMatchObject({ type: 'validation', field: 'name' });
    expect((await put({ name: 'alice was here' }, alice.token)).status).toBe(403);
  });

  it('deletes the collection and everything under it, files included', async () => {
    const coll = await jsonOf<Collection>(await create({ name: 'doomed' }));
    const folder = girder.createFolder({ parentType: 'collection', parentId: coll.body._id, name: 'f' });
    const sub = girder.createFolder({ parentType: 'folder', parentId: folder._id, name: 'g' });
    const item = girder.createItem({ folderId: sub._id, name: 'i' });
    const file = await girder.createFile({ itemId: item._id, name: 'x.txt', data: 'bytes' });
    expect(
      (await api(girder, `/collection/${coll.body._id}`, { method: 'DELETE', token: alice.token })).status,
    ).toBe(403);
    const gone = await jsonOf(
      await api(girder, `/collection/${coll.body._id}`, { method: 'DELETE', token: girder.admin.token }),
    );
    expect(gone.body).toEqual({ message: 'Marked collection doomed for deletion.' });
    for (const [model, id] of [
      ['collection', coll.body._id],
      ['folder', sub._id],
      ['item', item._id],
      ['file', file._id],
    ] as const) {
      const res = await jsonOf(await api(girder, `/${model}/${id}`, { token: girder.admin.token }));
      expect(res.body).toEqual({ message: `No such ${model}: ${id}`, type: 'validation', field: 'id' });
    }
  });

  it('sets metadata and lists the access control list to its admins only', async () => {
    const coll = await jsonOf<Collection>(await create({ name: 'with meta', public: true }));
    const meta = await jsonOf<Collection>(
      await api(girder, `/collection/${coll.body._id}/metadata`, {
        method: 'PUT',
        token: girder.admin.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ lab: 'x' }),
      }),
    );
    expect(meta.body.meta).toEqual({ lab: 'x' });
    const acl = await jsonOf(
      await api(girder, `/collection/${coll.body._id}/access`, { token: girder.admin.token }),
    );
    expect(acl.body).toEqual({
      users: [{ id: girder.admin.user._id, level: 2, flags: [], login: 'admin', name: 'admin User' }],
      groups: [],
    });
    expect((await api(girder, `/collection/${coll.body._id}/access`, { token: alice.token })).status).toBe(
      403,
    );
  });
});
