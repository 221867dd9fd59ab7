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

describe('error bodies', () => {
  it('answers 400 "Invalid ObjectId" with field id for a malformed id', async () => {
    const { status, body } = await jsonOf(
      await api(girder, '/folder/not-an-id', { token: girder.admin.token }),
    );
    expect(status).toBe(400);
    expect(body).toEqual({ message: 'Invalid ObjectId: not-an-id', type: 'validation', field: 'id' });
  });

  it('answers 400 "No such <model>" with field id for an id that does not exist', async () => {
    const id = '0123456789abcdef01234567';
    for (const model of ['folder', 'item', 'file', 'job']) {
      const { status, body } = await jsonOf(
        await api(girder, `/${model}/${id}`, { token: girder.admin.token }),
      );
      expect(status).toBe(400);
      expect(body).toEqual({ message: `No such ${model}: ${id}`, type: 'validation', field: 'id' });
    }
  });

  it('answers 400 for a route the resource does not have and 404 for an unknown resource', async () => {
    const route = await jsonOf(await api(girder, '/item/a/b/c'));
    expect(route.status).toBe(400);
    expect(route.body).toEqual({ message: 'No matching route for "GET a/b/c"', type: 'rest' });
    const resource = await api(girder, '/nothing/here');
    expect(resource.status).toBe(404);
    await resource.body?.cancel();
  });

  it('names a missing required parameter', async () => {
    const { status, body } = await jsonOf(
      await api(girder, `/folder?parentId=${girder.admin.privateFolderId}&parentType=folder`, {
        method: 'POST',
        token: girder.admin.token,
      }),
    );
    expect(status).toBe(400);
    expect(body).toEqual({ message: 'Parameter "name" is required.', type: 'rest' });
  });

  it('rejects an enum value it does not know and a repeated parameter', async () => {
    const bad = await jsonOf(
      await api(girder, '/folder?parentType=planet&parentId=x', { token: girder.admin.token }),
    );
    expect(bad.body).toEqual({
      message: 'Invalid value for parentType: "planet". Allowed values: folder, user, collection.',
      type: 'rest',
    });
    const repeated = await jsonOf(await api(girder, '/folder?text=a&text=b'));
    expect(repeated.status).toBe(400);
    expect(repeated.body).toEqual({
      message: 'Parameter "text" must not be specified multiple times.',
      type: 'rest',
    });
  });

  it('answers "Invalid search mode." when neither a parent nor text is given', async () => {
    const { status, body } = await jsonOf(await api(girder, '/item', { token: girder.admin.token }));
    expect(status).toBe(400);
    expect(body).toEqual({ message: 'Invalid search mode.', type: 'rest' });
  });
});

describe('folders', () => {
  it('creates a folder with Girder fields, inheriting the parent folder visibility', async () => {
    const { status, body } = await jsonOf(
      await api(girder, '/folder', {
        method: 'POST',
        token: girder.admin.token,
        ...form({
          parentType: 'folder',
          parentId: girder.admin.publicFolderId,
          name: '  shapes  ',
          description: 'd',
        }),
      }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      _modelType: 'folder',
      name: 'shapes',
      description: 'd',
      parentId: girder.admin.publicFolderId,
      parentCollection: 'folder',
      baseParentId: girder.admin.user._id,
      baseParentType: 'user',
      public: true,
      creatorId: girder.admin.user._id,
      size: 0,
      meta: {},
    });
    expect(body._id).toMatch(/^[0-9a-f]{24}$/);
    expect(body.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  it('refuses a duplicate name unless reuseExisting, which returns the existing folder', async () => {
    const params = { parentType: 'folder', parentId: girder.admin.privateFolderId, name: 'dup' };
    const first = await jsonOf(
      await api(girder, '/folder', { method: 'POST', token: girder.admin.token, ...form(params) }),
    );
    const again = await jsonOf(
      await api(girder, '/folder', { method: 'POST', token: girder.admin.token, ...form(params) }),
    );
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      message: 'A folder with that name already exists here.',
      type: 'validation',
      field: 'name',
    });
    const reused = await jsonOf(
      await api(girder, '/folder', {
        method: 'POST',
        token: girder.admin.token,
        ...form({ ...params, reuseExisting: true }),
      }),
    );
    expect(reused.status).toBe(200);
    expect(reused.body._id).toBe(first.body._id);
  });

  it('sets metadata at creation and applies the null rule on PUT metadata', async () => {
    const created = await jsonOf(
      await api(girder, '/folder', {
        method: 'POST',
        token: girder.admin.token,
        ...form({
          parentId: girder.admin.privateFolderId,
          name: 'meta',
          metadata: JSON.stringify({ a: 1, b: 'x' }),
        }),
      }),
    );
    expect(created.body.meta).toEqual({ a: 1, b: 'x' });
    const id = created.body._id as string;
    const put = (body: unknown, query = '') =>
      api(girder, `/folder/${id}/metadata${query}`, {
        method: 'PUT',
        token: girder.admin.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await jsonOf(await put({ a: null, c: [1] }))).body.meta).toEqual({ b: 'x', c: [1] });
    expect((await jsonOf(await put({ b: null }, '?allowNull=true'))).body.meta).toEqual({ b: null, c: [1] });
    const badKey = await jsonOf(await put({ 'x.y': 1 }));
    expect(badKey.status).toBe(400);
    expect(badKey.body.message).toBe('Invalid key x.y: keys must not contain the "." character.');
    const badJson = await jsonOf(
      await api(girder, `/folder/${id}/metadata`, {
        method: 'PUT',
        token: girder.admin.token,
        body: '{nope',
      }),
    );
    expect(badJson.body).toEqual({ message: 'Invalid JSON passed in request body.', type: 'rest' });
  });

  it('pages with limit/offset, sorts, and gives Girder-Total-Count', async () => {
    const parent = girder.createFolder({
      parentType: 'folder',
      parentId: girder.admin.privateFolderId,
      name: 'paged',
    });
    for (let i = 0; i < 7; i++)
      girder.createFolder({ parentType: 'folder', parentId: parent._id, name: `f${i}` });
    const page = async (query: string) => {
      const res = await api(girder, `/folder?parentType=folder&parentId=${parent._id}${query}`, {
        token: girder.admin.token,
      });
      return {
        total: res.headers.get('Girder-Total-Count'),
        names: ((await res.json()) as { name: string }[]).map((f) => f.name),
      };
    };
    expect(await page('&limit=3')).toEqual({ total: '7', names: ['f0', 'f1', 'f2'] });
    expect(await page('&limit=3&offset=6')).toEqual({ total: '7', names: ['f6'] });
    expect((await page('&limit=0')).names).toHaveLength(7);
    expect((await page('&limit=2&sort=name&sortdir=-1')).names).toEqual(['f6', 'f5']);
    expect((await page('&name=f3')).names).toEqual(['f3']);
    const bad = await jsonOf(await api(girder, `/folder?parentType=folder&parentId=${parent._id}&limit=x`));
    expect(bad.body).toEqual({ message: 'Invalid value for integer parameter limit: x.', type: 'rest' });
  });

  it('defaults to 50 per page', async () => {
    const parent = girder.createFolder({
      parentType: 'folder',
      parentId: girder.admin.privateFolderId,
      name: 'many',
    });
    for (let i = 0; i < 55; i++)
      girder.createItem({ folderId: parent._id, name: `item${String(i).padStart(2, '0')}` });
    const res = await api(girder, `/item?folderId=${parent._id}`, { token: girder.admin.token });
    expect(res.headers.get('Girder-Total-Count')).toBe('55');
    expect(((await res.json()) as unknown[]).length).toBe(50);
  });
});

describe('access control', () => {
  it('hides a private folder from anonymous requests (401) and other users (403)', async () => {
    const anon = await jsonOf(await api(girder, `/folder/${girder.admin.privateFolderId}`));
    expect(anon.status).toBe(401);
    expect(anon.body).toEqual({
      message: `Read access denied for folder ${girder.admin.privateFolderId} (user None).`,
      type: 'access',
    });
    const other = await jsonOf(
      await api(girder, `/folder/${girder.admin.privateFolderId}`, { token: alice.token }),
    );
    expect(other.status).toBe(403);
    expect(other.body.type).toBe('access');
    const own = await api(girder, `/folder/${alice.privateFolderId}`, { token: alice.token });
    expect(own.status).toBe(200);
    await own.body?.cancel();
  });

  it('lets anyone read a public folder but only the owner write into it', async () => {
    const anon = await jsonOf(await api(girder, `/folder/${alice.publicFolderId}`));
    expect(anon.status).toBe(200);
    expect(anon.body._accessLevel).toBe(0);
    const write = await jsonOf(
      await api(girder, '/item', {
        method: 'POST',
        token: girder.admin.token,
        ...form({ folderId: alice.publicFolderId, name: 'x' }),
      }),
    );
    expect(write.status).toBe(200); // the site admin may
    const bob = await girder.createUser({ login: 'bob2', password: 'bobpassword' });
    const denied = await jsonOf(
      await api(girder, '/item', {
        method: 'POST',
        token: bob.token,
        ...form({ folderId: alice.publicFolderId, name: 'y' }),
      }),
    );
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      message: `Write access denied for folder ${alice.publicFolderId} (user ${bob.user._id}).`,
      type: 'access',
    });
  });

  it('lists only the folders the caller may read', async () => {
    const listed = await jsonOf<{ name: string }[]>(
      await api(girder, `/folder?parentType=user&parentId=${alice.user._id}`),
    );
    expect(listed.body.map((f) => f.name)).toEqual(['Public']);
  });
});

describe('items', () => {
  it('creates items, renaming a taken name with " (1)" and reusing with reuseExisting', async () => {
    const folder = girder.createFolder({
      parentType: 'folder',
      parentId: girder.admin.privateFolderId,
      name: 'items',
    });
    const post = (extra: Record<string, string | boolean> = {}) =>
      api(girder, '/item', {
        method: 'POST',
        token: girder.admin.token,
        ...form({ folderId: folder._id, name: 'same', ...extra }),
      });
    const a = await jsonOf(await post({ description: 'first', metadata: '{"k":"v"}' }));
    expect(a.body).toMatchObject({
      _modelType: 'item',
      name: 'same',
      description: 'first',
      folderId: folder._id,
      baseParentId: girder.admin.user._id,
      baseParentType: 'user',
      size: 0,
      meta: { k: 'v' },
    });
    const b = await jsonOf(await post());
    expect(b.body.name).toBe('same (1)');
    const c = await jsonOf(await post({ reuseExisting: true }));
    expect(c.body._id).toBe(a.body._id);
    const byName = await jsonOf<{ _id: string }[]>(
      await api(girder, `/item?folderId=${folder._id}&name=same`, { token: girder.admin.token }),
    );
    expect(byName.body.map((i) => i._id)).toEqual([a.body._id]);
  });

  it('applies the metadata null rule on items', async () => {
    const folder = girder.createFolder({
      parentType: 'folder',
      parentId: girder.admin.privateFolderId,
      name: 'itemmeta',
    });
    const item = girder.createItem({ folderId: folder._id, name: 'i' });
    const put = async (body: unknown, query = '') =>
      (
        await jsonOf(
          await api(girder, `/item/${item._id}/metadata${query}`, {
            method: 'PUT',
            token: girder.admin.token,
            body: JSON.stringify(body),
          }),
        )
      ).body.meta;
    expect(await put({ a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
    expect(await put({ a: null })).toEqual({ b: 2 });
    expect(await put({ b: null }, '?allowNull=true')).toEqual({ b: null });
    expect(girder.getItem(item._id).meta).toEqual({ b: null });
  });

  it('finds items by text', async () => {
    const folder = girder.createFolder({
      parentType: 'folder',
      parentId: girder.admin.privateFolderId,
      name: 'text',
    });
    girder.createItem({ folderId: folder._id, name: 'zebra-stripes' });
    girder.createItem({ folderId: folder._id, name: 'lion' });
    const found = await jsonOf<{ name: string }[]>(
      await api(girder, `/item?folderId=${folder._id}&text=zebra`, { token: girder.admin.token }),
    );
    expect(found.body.map((i) => i.name)).toEqual(['zebra-stripes']);
  });
});

describe('metadata keys', () => {
  it("refuses an empty key with Girder's message, on items and folders, and changes nothing", async () => {
    const item = girder.createItem({ folderId: girder.admin.privateFolderId, name: 'empty-key' });
    for (const path of [`/item/${item._id}/metadata`, `/folder/${girder.admin.privateFolderId}/metadata`]) {
      const { status, body } = await jsonOf(
        await api(girder, path, {
          method: 'PUT',
          token: girder.admin.token,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ok: 1, '': 2 }),
        }),
      );
      expect(status).toBe(400);
      expect(body).toEqual({ message: 'Key names must not be empty.', type: 'validation' });
    }
    expect(girder.getItem(item._id).meta).toEqual({});
  });
});

describe('GET /folder/{id}/access', () => {
  it('lists the users with access, to the folder admins only (401 anonymous, 403 others)', async () => {
    const folder = girder.createFolder({
      parentType: 'user',
      parentId: alice.user._id,
      name: 'acl',
      creatorId: alice.user._id,
    });
    const { status, body } = await jsonOf(
      await api(girder, `/folder/${folder._id}/access`, { token: alice.token }),
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      users: [{ id: alice.user._id, level: 2, flags: [], login: 'alice', name: 'alice User' }],
      groups: [],
    });
    expect((await api(girder, `/folder/${folder._id}/access`)).status).toBe(401);
    const bob = await girder.createUser({ login: 'bob-acl', password: 'bobpassword' });
    const other = await jsonOf(await api(girder, `/folder/${folder._id}/access`, { token: bob.token }));
    expect(other.status).toBe(403);
    expect(other.body).toEqual({
      message: `Admin access denied for folder ${folder._id} (user ${bob.user._id}).`,
      type: 'access',
    });
  });
});

describe('GET /item/{id}/rootpath', () => {
  it('lists the base parent and each folder down to the item, filtered for the caller', async () => {
    const outer = girder.createFolder({
      parentType: 'folder',
      parentId: alice.publicFolderId,
      name: 'outer',
      creatorId: alice.user._id,
    });
    const inner = girder.createFolder({
      parentType: 'folder',
      parentId: outer._id,
      name: 'inner',
      creatorId: alice.user._id,
    });
    const item = girder.createItem({ folderId: inner._id, name: 'deep', creatorId: alice.user._id });
    const { status, body } = await jsonOf<{ type: string; object: Record<string, unknown> }[]>(
      await api(girder, `/item/${item._id}/rootpath`),
    );
    expect(status).toBe(200);
    expect(body.map((p) => [p.type, p.object._id])).toEqual([
      ['user', alice.user._id],
      ['folder', alice.publicFolderId],
      ['folder', outer._id],
      ['folder', inner._id],
    ]);
    expect(body[0]?.object).not.toHaveProperty('email');
    const hidden = girder.createItem({
      folderId: alice.privateFolderId,
      name: 'hidden',
      creatorId: alice.user._id,
    });
    expect((await api(girder, `/item/${hidden._id}/rootpath`)).status).toBe(401);
  });
});

describe('PUT /folder/{id}/access', () => {
  it('replaces the access list and visibility, recursively when asked, as girder_client.setFolderAccess sends it', async () => {
    const top = girder.createFolder({
      parentType: 'user',
      parentId: alice.user._id,
      name: 'share',
      creatorId: alice.user._id,
    });
    const sub = girder.createFolder({
      parentType: 'folder',
      parentId: top._id,
      name: 'inside',
      creatorId: alice.user._id,
    });
    const bob = await girder.createUser({ login: 'bob-share', password: 'bobpassword' });
    const access = {
      users: [
        { id: alice.user._id, level: 2 },
        { id: bob.user._id, level: 0 },
      ],
      groups: [],
    };
    const { status, body } = await jsonOf(
      await api(girder, `/folder/${top._id}/access`, {
        method: 'PUT',
        token: alice.token,
        ...form({ access: JSON.stringify(access), public: false, recurse: true }),
      }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      _id: top._id,
      public: false,
      access: {
        users: [
          { id: alice.user._id, level: 2, flags: [] },
          { id: bob.user._id, level: 0, flags: [] },
        ],
        groups: [],
      },
    });
    const asBob = await jsonOf(await api(girder, `/folder/${sub._id}`, { token: bob.token }));
    expect(asBob.body).toMatchObject({ _accessLevel: 0 });
    const write = await api(girder, `/folder?parentId=${sub._id}&name=x`, {
      method: 'POST',
      token: bob.token,
    });
    expect(write.status).toBe(403);
    await write.body?.cancel();
  });

  it('refuses a malformed list with field "access", and non-admins', async () => {
    const folder = girder.createFolder({
      parentType: 'user',
      parentId: alice.user._id,
      name: 'guarded',
      creatorId: alice.user._id,
    });
    const put = (access: unknown, token = alice.token) =>
      api(girder, `/folder/${folder._id}/access`, {
        method: 'PUT',
        token,
        ...form({ access: JSON.stringify(access) }),
      });
    expect((await jsonOf(await put({ users: [{ id: alice.user._id }] }))).body).toEqual({
      message: 'Invalid access list',
      type: 'validation',
      field: 'access',
    });
    expect((await jsonOf(await put({ users: [{ id: alice.user._id, level: 7 }] }))).body).toEqual({
      message: 'Invalid access level',
      type: 'validation',
      field: 'access',
    });
    expect((await jsonOf(await put([]))).body).toEqual({
      message: 'Parameter access must be a JSON object.',
      type: 'rest',
    });
    expect((await put({ users: [] }, girder.createToken({ userId: null }))).status).toBe(401);
  });
});
