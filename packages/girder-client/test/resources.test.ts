import { describe, expect, it } from 'vitest';
import { GirderClient, isGirderHttpError } from '../src/index.ts';
import { adminClient, rejection, useGirder } from './support.ts';

const girder = useGirder();

describe('resources', () => {
  it('pages past one page of items, folders and files with limit/offset 50', async () => {
    const { server } = girder;
    const client = adminClient(server);
    const folder = await client.createFolder(server.admin.privateFolderId, 'many');
    for (let i = 0; i < 120; i++)
      server.createItem({ folderId: folder._id, name: `item-${String(i).padStart(3, '0')}` });
    for (let i = 0; i < 51; i++)
      server.createFolder({ parentType: 'folder', parentId: folder._id, name: `sub-${i}` });
    const item = server.createItem({ folderId: folder._id, name: 'files' });
    for (let i = 0; i < 55; i++)
      await server.createFile({ itemId: item._id, name: `f${String(i).padStart(2, '0')}`, data: String(i) });
    const names: string[] = [];
    for await (const it of client.listItems({ folderId: folder._id })) names.push(it.name);
    expect(names).toHaveLength(121);
    expect(new Set(names).size).toBe(121);
    const itemPages = server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/item'));
    expect(itemPages.map((r) => [r.query.limit, r.query.offset])).toEqual([
      ['50', '0'],
      ['50', '50'],
      ['50', '100'],
    ]);
    expect(await Array.fromAsync(client.listFolders({ parentId: folder._id }))).toHaveLength(51);
    const files = await Array.fromAsync(client.listFiles(item._id));
    expect(files.map((f) => f.name)).toEqual(
      Array.from({ length: 55 }, (_, i) => `f${String(i).padStart(2, '0')}`),
    );
  });

  it('pages with a chosen page size, and refuses one that is not positive', async () => {
    const { server } = girder;
    const client = adminClient(server);
    for (let i = 0; i < 5; i++) server.createItem({ folderId: server.admin.privateFolderId, name: `p${i}` });
    const items = await Array.fromAsync(
      client.listItems({ folderId: server.admin.privateFolderId }, { pageSize: 2 }),
    );
    expect(items.map((i) => i.name)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(server.requests.filter((r) => r.path.endsWith('/item'))).toHaveLength(3);
    await expect(Array.fromAsync(client.listItems({ folderId: 'x' }, { pageSize: 0 }))).rejects.toThrow(
      /pageSize: expected an integer >= 1, got 0/,
    );
  });

  it('gets folders, items, files and jobs as typed documents', async () => {
    const { server } = girder;
    const client = adminClient(server);
    const folder = await client.getFolder(server.admin.privateFolderId);
    expect(folder).toMatchObject({ _modelType: 'folder', name: 'Private' });
    const item = server.createItem({ folderId: folder._id, name: 'doc' });
    const file = await server.createFile({ itemId: item._id, name: 'a.txt', data: 'abc' });
    expect(await client.getItem(item._id)).toMatchObject({ _modelType: 'item', folderId: folder._id });
    expect(await client.getFile(file._id)).toMatchObject({ _modelType: 'file', size: 3, itemId: item._id });
    const { job } = server.createJob({ title: 't' });
    expect(await client.getJob(job._id)).toMatchObject({ _modelType: 'job', title: 't', status: 1 });
  });

  it('reuses an existing folder and item by name, and makes a new one without reuseExisting', async () => {
    const { server } = girder;
    const client = adminClient(server);
    const a = await client.createFolder(server.admin.privateFolderId, 'same', { reuseExisting: true });
    const b = await client.createFolder(server.admin.privateFolderId, 'same', { reuseExisting: true });
    expect(b._id).toBe(a._id);
    const duplicate = await rejection(client.createFolder(server.admin.privateFolderId, 'same'));
    expect(duplicate).toMatchObject({ status: 400, field: 'name' });
    const item = await client.createItem(a._id, 'it', { reuseExisting: true, metadata: { k: 'v' } });
    expect(item.meta).toEqual({ k: 'v' });
    expect((await client.createItem(a._id, 'it', { reuseExisting: true }))._id).toBe(item._id);
  });

  it('adds metadata to items and folders, deleting keys set to null', async () => {
    const { server } = girder;
    const client = adminClient(server);
    const folder = await client.createFolder(server.admin.privateFolderId, 'meta');
    const item = await client.createItem(folder._id, 'it');
    await client.addMetadataToItem(item._id, { keep: 1, drop: 2 });
    expect((await client.addMetadataToItem(item._id, { drop: null })).meta).toEqual({ keep: 1 });
    await client.addMetadataToFolder(folder._id, { a: { nested: true }, b: 'x' });
    expect((await client.addMetadataToFolder(folder._id, { b: null })).meta).toEqual({ a: { nested: true } });
  });

  it('reports Girder errors with status, method, url, type and field', async () => {
    const error = await rejection(adminClient(girder.server).getItem('not-an-id'));
    expect(isGirderHttpError(error)).toBe(true);
    expect(error).toMatchObject({
      status: 400,
      method: 'GET',
      url: `${girder.server.apiUrl}/item/not-an-id`,
      type: 'validation',
      field: 'id',
      girderMessage: 'Invalid ObjectId: not-an-id',
      code: 'GIRDER_HTTP_ERROR',
    });
    expect(String(error)).toContain('Girder answered 400 to GET');
  });

  it('sends any route through the get/post/put/delete escape hatches', async () => {
    const { server } = girder;
    const client = adminClient(server);
    const folder = await client.post<{ _id: string }>('folder', {
      searchParams: { parentType: 'folder', parentId: server.admin.privateFolderId, name: 'raw' },
    });
    expect((await client.get<{ name: string }>(`/folder/${folder._id}`)).name).toBe('raw');
    const item = server.createItem({ folderId: folder._id, name: 'i' });
    const file = await server.createFile({ itemId: item._id, name: 'old.txt', data: 'x' });
    await client.put(`file/${file._id}`, { searchParams: { name: 'new.txt' } });
    expect((await client.getFile(file._id)).name).toBe('new.txt');
    expect(await client.delete(`file/${file._id}`)).toBeNull();
    expect(await rejection(client.getFile(file._id))).toMatchObject({ status: 400, field: 'id' });
  });
});

describe('retries', () => {
  it('retries an idempotent GET on 503 and 429, then succeeds', async () => {
    const { server } = girder;
    server.faults.failNext({ method: 'GET', path: '/user/me', status: 503 });
    server.faults.failNext({ method: 'GET', path: '/user/me', status: 429, after: 0 });
    const me = await adminClient(server).getMe();
    expect(me?.login).toBe(server.admin.login);
    expect(server.requests.filter((r) => r.path.endsWith('/user/me')).map((r) => r.status)).toEqual([
      503, 429, 200,
    ]);
  });

  it('gives up after the retry limit with the last status', async () => {
    const { server } = girder;
    server.faults.failNext({ path: '/user/me', status: 502, count: 10 });
    const error = await rejection(adminClient(server, { retry: { limit: 2, backoffLimitMs: 10 } }).getMe());
    expect(error).toMatchObject({ status: 502 });
    expect(server.requests.filter((r) => r.path.endsWith('/user/me'))).toHaveLength(3);
  });

  it('never repeats a POST create, and never retries a 4xx', async () => {
    const { server } = girder;
    const client = adminClient(server);
    server.faults.failNext({ method: 'POST', path: '/folder', status: 503 });
    expect(await rejection(client.createFolder(server.admin.privateFolderId, 'once'))).toMatchObject({
      status: 503,
    });
    expect(server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/folder'))).toHaveLength(1);
    await rejection(client.getItem('bad-id'));
    expect(server.requests.filter((r) => r.path.endsWith('/item/bad-id'))).toHaveLength(1);
  });

  it('rejects with the caller’s abort reason and does not retry it', async () => {
    const { server } = girder;
    server.faults.delay({ path: '/user/me', ms: 2000 });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 50);
    expect(await rejection(adminClient(server).getMe({ signal: controller.signal }))).toBe(reason);
    expect(server.requests.filter((r) => r.path.endsWith('/user/me')).length).toBeLessThanOrEqual(1);
  });
});

describe('options', () => {
  it('rejects invalid options naming the field', () => {
    expect(() => new GirderClient({ apiUrl: 'localhost' })).toThrow(/apiUrl: expected an http\(s\) URL/);
    expect(() => new GirderClient({ apiUrl: 'http://h/api/v1', retry: -1 })).toThrow(/retry.limit/);
    expect(() => new GirderClient({ apiUrl: 'http://h/api/v1', timeout: 0 })).toThrow(/timeout/);
    expect(() => new GirderClient({ apiUrl: 'http://h/api/v1', chunkBytes: 1024 })).toThrow(
      /chunkBytes: expected an integer >= 5242880, got 1024/,
    );
    const client = new GirderClient({ apiUrl: 'http://h/api/v1/' });
    expect(client.apiUrl).toBe('http://h/api/v1');
    expect(client.chunkBytes).toBe(64 * 1024 * 1024);
    expect(client.minimumChunkBytes).toBe(5 * 1024 * 1024);
  });
});
