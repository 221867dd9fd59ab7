import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNoLeaks, sha256Hex } from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GirderTestServer, startGirderTestServer } from '../src/index.ts';
import { api, jsonOf } from './helpers.ts';

const MIN = 16;
let girder: GirderTestServer;
let folderId: string;
beforeAll(async () => {
  girder = await startGirderTestServer({ minimumChunkSize: MIN });
  folderId = girder.createFolder({
    parentType: 'folder',
    parentId: girder.admin.privateFolderId,
    name: 'uploads',
  })._id;
});
afterAll(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});

type Doc = Record<string, unknown> & { _id: string; _modelType: string };

async function init(
  name: string,
  size: number,
  parent = `parentType=folder&parentId=${folderId}`,
): Promise<Doc> {
  const { status, body } = await jsonOf<Doc>(
    await api(girder, `/file?${parent}&name=${encodeURIComponent(name)}&size=${size}`, {
      method: 'POST',
      token: girder.admin.token,
    }),
  );
  expect(status).toBe(200);
  return body;
}

function chunk(uploadId: string, offset: number, bytes: Buffer, token = girder.admin.token) {
  return api(girder, `/file/chunk?uploadId=${uploadId}&offset=${offset}`, {
    method: 'POST',
    token,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: bytes,
  });
}

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

describe('the chunked upload protocol', () => {
  it('creates an upload, takes chunks with offsets and returns the file on the last one', async () => {
    const data = randomBytes(50);
    const upload = await init('data.bin', 50);
    expect(upload).toMatchObject({
      _modelType: 'upload',
      received: 0,
      size: 50,
      name: 'data.bin',
      parentType: 'folder',
      parentId: folderId,
    });
    const first = await jsonOf<Doc>(await chunk(upload._id, 0, data.subarray(0, 20)));
    expect(first.body).toMatchObject({ _modelType: 'upload', received: 20 });
    const last = await jsonOf<Doc>(await chunk(upload._id, 20, data.subarray(20)));
    expect(last.body).toMatchObject({ _modelType: 'file', name: 'data.bin', size: 50, sha512: sha512(data) });
    const item = girder.getItem(last.body.itemId as string);
    expect(item).toMatchObject({ name: 'data.bin', folderId, size: 50 });
    expect(await girder.getFileBytes(last.body._id)).toEqual(data);
    expect(girder.getFolder(folderId).size).toBeGreaterThanOrEqual(50);
    const gone = await jsonOf(
      await api(girder, `/file/offset?uploadId=${upload._id}`, { token: girder.admin.token }),
    );
    expect(gone.body).toEqual({ message: `No such upload: ${upload._id}`, type: 'validation', field: 'id' });
  });

  it("rejects a wrong offset with Girder's message", async () => {
    const upload = await init('offset.bin', 40);
    await chunk(upload._id, 0, randomBytes(20));
    const { status, body } = await jsonOf(await chunk(upload._id, 10, randomBytes(20)));
    expect(status).toBe(400);
    expect(body).toEqual({
      message: 'Server has received 20 bytes, but client sent offset 10.',
      type: 'rest',
    });
  });

  it('rejects more bytes than declared and keeps what was received before', async () => {
    const data = randomBytes(30);
    const upload = await init('toomany.bin', 30);
    await chunk(upload._id, 0, data.subarray(0, 20));
    const { status, body } = await jsonOf(await chunk(upload._id, 20, randomBytes(20)));
    expect(status).toBe(400);
    expect(body).toEqual({ message: 'Received too many bytes.', type: 'validation' });
    const offset = await jsonOf(
      await api(girder, `/file/offset?uploadId=${upload._id}`, { token: girder.admin.token }),
    );
    expect(offset.body).toEqual({ offset: 20 });
    const done = await jsonOf<Doc>(await chunk(upload._id, 20, data.subarray(20)));
    expect(done.body.sha512).toBe(sha512(data));
  });

  it('rejects a non-final chunk below the minimum chunk size', async () => {
    const upload = await init('small.bin', 40);
    const { status, body } = await jsonOf(await chunk(upload._id, 0, randomBytes(MIN - 1)));
    expect(status).toBe(400);
    expect(body).toEqual({ message: 'Chunk is smaller than the minimum size.', type: 'validation' });
    expect(
      (await jsonOf(await api(girder, `/file/offset?uploadId=${upload._id}`, { token: girder.admin.token })))
        .body,
    ).toEqual({
      offset: 0,
    });
  });

  it('creates an empty file at once when size is 0', async () => {
    const file = await init('empty.txt', 0);
    expect(file).toMatchObject({ _modelType: 'file', size: 0, name: 'empty.txt' });
    const res = await api(girder, `/file/${file._id}/download`, { token: girder.admin.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-range')).toBeNull();
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('accepts the first chunk as the body of POST /file', async () => {
    const data = randomBytes(24);
    const res = await api(girder, `/file?parentType=folder&parentId=${folderId}&name=inline.bin&size=24`, {
      method: 'POST',
      token: girder.admin.token,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: data,
    });
    const { body } = await jsonOf<Doc>(res);
    expect(body).toMatchObject({ _modelType: 'file', size: 24, sha512: sha512(data) });
  });

  it('requires size and write access on the parent', async () => {
    const noSize = await jsonOf(
      await api(girder, `/file?parentType=folder&parentId=${folderId}&name=x`, {
        method: 'POST',
        token: girder.admin.token,
      }),
    );
    expect(noSize.body).toEqual({ message: 'Parameter "size" is required.', type: 'rest' });
    const carol = await girder.createUser({ login: 'carol', password: 'carolpassword' });
    const denied = await jsonOf(
      await api(girder, `/file?parentType=folder&parentId=${folderId}&name=x&size=1`, {
        method: 'POST',
        token: carol.token,
      }),
    );
    expect(denied.status).toBe(403);
    const anon = await jsonOf(
      await api(girder, `/file?parentType=folder&parentId=${folderId}&name=x&size=1`, { method: 'POST' }),
    );
    expect(anon.status).toBe(401);
    expect(anon.body).toEqual({ message: 'You must be logged in.', type: 'access' });
  });

  it('refuses chunks from a user who did not start the upload', async () => {
    const upload = await init('mine.bin', 20);
    const dave = await girder.createUser({ login: 'dave', password: 'davepassword' });
    const { status, body } = await jsonOf(await chunk(upload._id, 0, randomBytes(20), dave.token));
    expect(status).toBe(403);
    expect(body).toEqual({ message: 'You did not initiate this upload.', type: 'access' });
  });

  it('uploads into an item, adding a file to it', async () => {
    const item = girder.createItem({ folderId, name: 'holder' });
    const upload = await init('a.txt', 3, `parentType=item&parentId=${item._id}`);
    const file = await jsonOf<Doc>(await chunk(upload._id, 0, Buffer.from('abc')));
    expect(file.body.itemId).toBe(item._id);
    expect(girder.listItemFiles(item._id).map((f) => f.name)).toEqual(['a.txt']);
    expect(girder.getItem(item._id).size).toBe(3);
  });

  it('cancels an upload with DELETE /file/upload/{id} and removes its bytes', async () => {
    const upload = await init('cancel.bin', 40);
    await chunk(upload._id, 0, randomBytes(20));
    const { status, body } = await jsonOf(
      await api(girder, `/file/upload/${upload._id}`, { method: 'DELETE', token: girder.admin.token }),
    );
    expect(status).toBe(200);
    expect(body).toEqual({ message: 'Upload canceled.' });
    expect(await readdir(join(girder.dataDir, 'uploads'))).not.toContain(upload._id);
  });

  it("replaces a file's contents with PUT /file/{id}/contents and chunks", async () => {
    const item = girder.createItem({ folderId, name: 'replace' });
    const file = await girder.createFile({ itemId: item._id, name: 'r.txt', data: 'old contents' });
    const upload = await jsonOf<Doc>(
      await api(girder, `/file/${file._id}/contents?size=3`, { method: 'PUT', token: girder.admin.token }),
    );
    expect(upload.body).toMatchObject({ _modelType: 'upload', fileId: file._id, size: 3 });
    const done = await jsonOf<Doc>(await chunk(upload.body._id, 0, Buffer.from('new')));
    expect(done.body).toMatchObject({ _id: file._id, size: 3 });
    expect((await girder.getFileBytes(file._id)).toString()).toBe('new');
    expect(girder.getItem(item._id).size).toBe(3);
  });
});

describe('resuming', () => {
  it('reports through /file/offset the bytes an interrupted chunk left, and the upload resumes from there', async () => {
    const data = randomBytes(100);
    const upload = await init('resume.bin', 100);
    const url = new URL(`${girder.apiUrl}/file/chunk?uploadId=${upload._id}&offset=0`);
    const req = request(url, {
      method: 'POST',
      headers: {
        'Girder-Token': girder.admin.token,
        'Content-Length': 100,
        'Content-Type': 'application/octet-stream',
      },
    });
    req.on('error', () => undefined);
    req.write(data.subarray(0, 40));
    await sleep(50); // let the server read them
    req.destroy();
    const { body } = await jsonOf<{ offset: number }>(
      await api(girder, `/file/offset?uploadId=${upload._id}`, { token: girder.admin.token }),
    );
    expect(body.offset).toBe(40);
    const done = await jsonOf<Doc>(await chunk(upload._id, 40, data.subarray(40)));
    expect(done.body).toMatchObject({ _modelType: 'file', size: 100, sha512: sha512(data) });
    expect(await girder.getFileBytes(done.body._id)).toEqual(data);
  });

  it('drops the leftovers of an interrupted chunk when the client resends it from the old offset', async () => {
    const data = randomBytes(60);
    const upload = await init('resend.bin', 60);
    const req = request(new URL(`${girder.apiUrl}/file/chunk?uploadId=${upload._id}&offset=0`), {
      method: 'POST',
      headers: { 'Girder-Token': girder.admin.token, 'Content-Length': 60 },
    });
    req.on('error', () => undefined);
    req.write(data.subarray(0, 30));
    await sleep(50);
    req.destroy();
    await sleep(20);
    const done = await jsonOf<Doc>(await chunk(upload._id, 0, data));
    expect(done.body).toMatchObject({ _modelType: 'file', sha512: sha512(data) });
  });
});

describe('checksums: false', () => {
  it('stores uploads without computing sha512', async () => {
    await using plain = await startGirderTestServer({ checksums: false, minimumChunkSize: 1 });
    const upload = await jsonOf<Doc>(
      await api(plain, `/file?parentType=folder&parentId=${plain.admin.privateFolderId}&name=p.bin&size=4`, {
        method: 'POST',
        token: plain.admin.token,
      }),
    );
    await api(plain, `/file/chunk?uploadId=${upload.body._id}&offset=0`, {
      method: 'POST',
      token: plain.admin.token,
      body: 'ab',
    });
    const file = await jsonOf<Doc>(
      await api(plain, `/file/chunk?uploadId=${upload.body._id}&offset=2`, {
        method: 'POST',
        token: plain.admin.token,
        body: 'cd',
      }),
    );
    expect(file.body).toMatchObject({ _modelType: 'file', size: 4 });
    expect(file.body).not.toHaveProperty('sha512');
    expect((await plain.getFileBytes(file.body._id)).toString()).toBe('abcd');
  });
});

/**
 * girder_client's `uploadStreamToFolder` / `uploadFileToFolder`: GET system/version, then, when the
 * size fits MAX_CHUNK_SIZE and the release is >= 2.3, one POST /file carrying the whole body as
 * form-less bytes (parameters in the query string, mimeType possibly absent); otherwise POST /file
 * and POST /file/chunk?offset=&uploadId= per MAX_CHUNK_SIZE piece.
 */
async function girderClientUploadToFolder(
  parent: string,
  name: string,
  bytes: Buffer,
  maxChunkSize: number,
): Promise<Doc> {
  const version = (await (await api(girder, '/system/version', { token: girder.admin.token })).json()) as {
    release: string;
  };
  const [major = '', minor = ''] = version.release.split('.', 2);
  const recent = major > '2' || (major === '2' && minor >= '3');
  const query = `parentType=folder&parentId=${parent}&name=${encodeURIComponent(name)}&size=${bytes.length}`;
  if (bytes.length <= maxChunkSize && recent) {
    return (
      await api(girder, `/file?${query}`, { method: 'POST', token: girder.admin.token, body: bytes })
    ).json() as Promise<Doc>;
  }
  let doc = (await (
    await api(girder, `/file?${query}`, { method: 'POST', token: girder.admin.token })
  ).json()) as Doc;
  const uploadId = doc._id;
  for (let offset = 0; offset < bytes.length; offset += maxChunkSize) {
    const chunk = bytes.subarray(offset, offset + maxChunkSize);
    const res = await api(girder, `/file/chunk?offset=${offset}&uploadId=${uploadId}`, {
      method: 'POST',
      token: girder.admin.token,
      body: chunk,
    });
    doc = (await res.json()) as Doc;
    expect(res.status, JSON.stringify(doc)).toBe(200);
  }
  return doc;
}

describe("girder_client's folder upload flow", () => {
  it('asks the version, then sends a body that fits in one POST /file, and gets the file', async () => {
    const bytes = randomBytes(1000);
    const before = girder.requests.length;
    const file = await girderClientUploadToFolder(folderId, 'one-post.bin', bytes, 64 * 1024 * 1024);
    expect(file).toMatchObject({ _modelType: 'file', name: 'one-post.bin', size: 1000 });
    expect(girder.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v1/system/version 200',
      'POST /api/v1/file 200',
    ]);
    const item = girder.getItem(file.itemId as string);
    expect(item).toMatchObject({ name: 'one-post.bin', folderId });
    expect(
      createHash('sha256')
        .update(await girder.getFileBytes(file._id))
        .digest('hex'),
    ).toBe(sha256Hex(bytes));
  });

  it('falls back to chunks when the body is larger than its chunk size', async () => {
    const bytes = randomBytes(100);
    const file = await girderClientUploadToFolder(folderId, 'chunked.bin', bytes, 40);
    expect(file).toMatchObject({ _modelType: 'file', size: 100 });
    expect(await girder.getFileBytes(file._id)).toEqual(bytes);
  });
});
