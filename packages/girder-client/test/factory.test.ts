import { describe, expect, it } from 'vitest';
import { createGirderClient, GirderClient } from '../src/index.ts';
import { MIN_CHUNK, useGirder } from './support.ts';

const girder = useGirder();

describe('createGirderClient', () => {
  it('gives the resources as namespaces, with girder_client names for the same calls', async () => {
    const { server } = girder;
    const client = createGirderClient({ apiUrl: server.apiUrl, token: server.admin.token });
    const folder = await client.folders.create(server.admin.privateFolderId, 'made', { metadata: { a: 1 } });
    expect((await client.getFolder(folder._id)).meta).toEqual({ a: 1 });
    const item = await client.items.create(folder._id, 'thing');
    await client.items.addMetadata(item._id, { b: 2 });
    expect((await client.getItem(item._id)).meta).toEqual({ b: 2 });
    expect(
      (await Array.fromAsync(client.folders.list({ parentId: server.admin.privateFolderId }))).map(
        (f) => f.name,
      ),
    ).toContain('made');
    expect((await Array.fromAsync(client.items.list({ folderId: folder._id }))).map((i) => i.name)).toEqual([
      'thing',
    ]);
    const me = await client.users.me();
    expect(me?.login).toBe(server.admin.login);
    expect((await client.users.get(server.admin.user._id)).login).toBe(server.admin.login);
    expect(client.listItems).toBe(client.items.list);
    expect(client.getMe).toBe(client.users.me);
    expect(client.updateJob).toBe(client.jobs.update);
  });

  it('keeps `new GirderClient(options)` working, returning the same kind of client', async () => {
    const { server } = girder;
    const client = new GirderClient({
      apiUrl: server.apiUrl,
      token: server.admin.token,
      minimumChunkBytes: MIN_CHUNK,
    });
    expect(Object.keys(client).sort()).toEqual(
      Object.keys(createGirderClient({ apiUrl: server.apiUrl })).sort(),
    );
    expect((await client.getMe())?.login).toBe(server.admin.login);
    expect(client.minimumChunkBytes).toBe(MIN_CHUNK);
  });

  it('chooses how downloads travel once: its own HTTP/1.1 connection for http and https, else the given fetch', () => {
    expect(createGirderClient({ apiUrl: 'http://127.0.0.1:1/api/v1' }).downloadTransport).toBe('http1');
    expect(createGirderClient({ apiUrl: 'https://127.0.0.1:1/api/v1' }).downloadTransport).toBe('http1');
    expect(createGirderClient({ apiUrl: 'https://127.0.0.1:1/api/v1', fetch }).downloadTransport).toBe(
      'fetch',
    );
  });

  it('refuses bad options at the door, naming the field', () => {
    expect(() => createGirderClient({ apiUrl: 'ftp://x' })).toThrow(/apiUrl: expected an http\(s\) URL/);
    expect(() => createGirderClient({ apiUrl: 'http://h/api/v1', token: 5 as never })).toThrow(
      /token: expected a string/,
    );
    expect(() => createGirderClient({ apiUrl: 'http://h/api/v1', timeout: 0 })).toThrow(/timeout: expected/);
    expect(() => createGirderClient({ apiUrl: 'http://h/api/v1', retry: -1 })).toThrow(/retry.limit/);
  });
});
