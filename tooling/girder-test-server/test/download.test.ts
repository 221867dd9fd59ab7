import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileDoc, type GirderTestServer, startGirderTestServer } from '../src/index.ts';
import { api, jsonOf } from './helpers.ts';

const run = promisify(execFile);
let girder: GirderTestServer;
let scratch: string;
let data: Buffer;
let file: FileDoc;
beforeAll(async () => {
  girder = await startGirderTestServer();
  scratch = await mkdtemp(join(tmpdir(), 'download-test-'));
  data = randomBytes(1000);
  const item = girder.createItem({ folderId: girder.admin.privateFolderId, name: 'data.bin' });
  file = await girder.createFile({
    itemId: item._id,
    name: 'data.bin',
    data,
    mimeType: 'application/x-test',
  });
});
afterAll(async () => {
  await girder.close();
  await rm(scratch, { recursive: true, force: true });
  await assertNoLeaks({ containers: false });
});

async function download(
  query = '',
  headers: Record<string, string> = {},
  path = `/file/${file._id}/download`,
) {
  const res = await api(girder, `${path}${query}`, { token: girder.admin.token, headers });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('GET /file/{id}/download', () => {
  it('streams the whole file with its type, name and length', async () => {
    const { res, bytes } = await download();
    expect(res.status).toBe(200);
    expect(bytes).toEqual(data);
    expect(res.headers.get('content-type')).toBe('application/x-test');
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="data.bin"');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-range')).toBeNull();
  });

  it('answers a Range with 206 and Content-Range', async () => {
    const { res, bytes } = await download('', { Range: 'bytes=100-199' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(bytes).toEqual(data.subarray(100, 200));
  });

  it('understands open and suffix ranges, and lets the Range header win over offset', async () => {
    const open = await download('?offset=5', { Range: 'bytes=990-' });
    expect(open.res.status).toBe(206);
    expect(open.bytes).toEqual(data.subarray(990));
    const suffix = await download('', { Range: 'bytes=-10' });
    expect(suffix.res.headers.get('content-range')).toBe('bytes 990-999/1000');
    expect(suffix.bytes).toEqual(data.subarray(990));
    const beyond = await download('', { Range: 'bytes=900-5000' });
    expect(beyond.bytes).toEqual(data.subarray(900));
  });

  it('ignores an unsatisfiable Range, as CherryPy does, yet answers 206 as Girder does for any Range', async () => {
    const { res, bytes } = await download('', { Range: 'bytes=2000-3000' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 0-999/1000');
    expect(bytes).toEqual(data);
  });

  it('takes offset and a non-inclusive endByte from the query', async () => {
    const { res, bytes } = await download('?offset=10&endByte=20');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(bytes).toEqual(data.subarray(10, 20));
    const tail = await download('?offset=995');
    expect(tail.bytes).toEqual(data.subarray(995));
  });

  it('also answers under /download/{name} and honours contentDisposition=inline', async () => {
    const { res, bytes } = await download(
      '?contentDisposition=inline',
      {},
      `/file/${file._id}/download/whatever.bin`,
    );
    expect(bytes).toEqual(data);
    expect(res.headers.get('content-disposition')).toBe('inline; filename="data.bin"');
  });

  it('encodes a non-ASCII name in filename*', async () => {
    const item = girder.createItem({ folderId: girder.admin.privateFolderId, name: 'unicode' });
    const named = await girder.createFile({ itemId: item._id, name: 'café".txt', data: 'x' });
    const res = await api(girder, `/file/${named._id}/download`, { token: girder.admin.token });
    await res.arrayBuffer();
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="cafe\\".txt"; filename*=UTF-8''caf%C3%A9%22.txt`,
    );
  });

  it('requires read access on the folder', async () => {
    const anon = await jsonOf(await api(girder, `/file/${file._id}/download`));
    expect(anon.status).toBe(401);
    expect(anon.body).toEqual({
      message: `Read access denied for file ${file._id} (user None).`,
      type: 'access',
    });
  });

  it('streams a larger file from disk byte-exact', async () => {
    const big = randomBytes(8 * 1024 * 1024 + 3);
    const path = join(scratch, 'big.bin');
    await writeFile(path, big);
    const item = girder.createItem({ folderId: girder.admin.privateFolderId, name: 'big' });
    const bigFile = await girder.createFile({ itemId: item._id, name: 'big.bin', data: { path } });
    const { bytes } = await download('', {}, `/file/${bigFile._id}/download`);
    expect(bytes.equals(big)).toBe(true);
  });
});

describe('item and folder downloads', () => {
  it('sends the single file of a one-file item as is', async () => {
    const { res, bytes } = await download('', {}, `/item/${file.itemId}/download`);
    expect(res.status).toBe(200);
    expect(bytes).toEqual(data);
    const offset = await download('?offset=900', {}, `/item/${file.itemId}/download`);
    expect(offset.bytes).toEqual(data.subarray(900));
  });

  it("zips a multi-file item and a folder tree with Girder's paths", async () => {
    const root = girder.createFolder({
      parentType: 'folder',
      parentId: girder.admin.privateFolderId,
      name: 'tree',
    });
    const sub = girder.createFolder({ parentType: 'folder', parentId: root._id, name: 'sub' });
    const multi = girder.createItem({ folderId: root._id, name: 'multi' });
    await girder.createFile({ itemId: multi._id, name: 'one.txt', data: 'one' });
    await girder.createFile({ itemId: multi._id, name: 'two.txt', data: 'two!' });
    const single = girder.createItem({ folderId: sub._id, name: 'single.txt' });
    await girder.createFile({ itemId: single._id, name: 'single.txt', data: 'single' });
    const renamed = girder.createItem({ folderId: sub._id, name: 'item-name' });
    await girder.createFile({ itemId: renamed._id, name: 'file-name.txt', data: 'other' });

    const itemZip = await download('', {}, `/item/${multi._id}/download`);
    expect(itemZip.res.headers.get('content-type')).toBe('application/zip');
    expect(itemZip.res.headers.get('content-disposition')).toBe('attachment; filename="multi.zip"');
    expect(await readZip(itemZip.bytes)).toEqual({ 'multi/one.txt': 'one', 'multi/two.txt': 'two!' });

    const folderZip = await download('', {}, `/folder/${root._id}/download`);
    expect(folderZip.res.headers.get('content-disposition')).toBe('attachment; filename="tree.zip"');
    expect(await readZip(folderZip.bytes)).toEqual({
      'tree/multi/one.txt': 'one',
      'tree/multi/two.txt': 'two!',
      'tree/sub/single.txt': 'single',
      'tree/sub/item-name/file-name.txt': 'other',
    });
  });
});

/** Reads a zip with Python's zipfile (an independent reader), checking every CRC. */
async function readZip(bytes: Buffer): Promise<Record<string, string>> {
  const path = join(scratch, `z${Date.now()}.zip`);
  await writeFile(path, bytes);
  const script =
    'import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({n: z.read(n).decode() for n in z.namelist()}))';
  const { stdout } = await run('python3', ['-c', script, path]);
  await rm(path);
  return JSON.parse(stdout) as Record<string, string>;
}
