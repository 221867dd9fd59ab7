import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { makeTempDir } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import { isGirderHttpError, isIncorrectUploadLengthError } from '../src/index.ts';
import { adminClient, MIN_CHUNK, pattern, recordingLogger, rejection, useGirder } from './support.ts';

const girder = useGirder();

const chunkRequests = () =>
  girder.server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/file/chunk'));

function intoPrivate(name: string, extra: { size?: number; chunkBytes?: number } = {}) {
  return { parentType: 'folder' as const, parentId: girder.server.admin.privateFolderId, name, ...extra };
}

describe('uploadFile', () => {
  it('sends chunks of chunkBytes at increasing offsets and reports progress', async () => {
    const data = pattern(300_000);
    const progress: number[] = [];
    const file = await adminClient(girder.server).uploadFile(
      {
        ...intoPrivate('p.bin', { chunkBytes: 100_000 }),
        onProgress: ({ bytes, total }) => progress.push(bytes / total),
      },
      data,
    );
    expect(file).toMatchObject({ _modelType: 'file', name: 'p.bin', size: 300_000 });
    expect((await girder.server.getFileBytes(file._id)).equals(data)).toBe(true);
    expect(chunkRequests().map((r) => r.query.offset)).toEqual(['0', '100000', '200000']);
    expect(progress).toEqual([1 / 3, 2 / 3, 1]);
  });

  it('uploads from a path, a Buffer and a Readable of known size alike', async () => {
    const data = pattern(150_000, 9);
    const dir = await makeTempDir();
    await writeFile(join(dir, 'src.bin'), data);
    const client = adminClient(girder.server, { chunkBytes: MIN_CHUNK });
    const fromPath = await client.uploadFile(intoPrivate('a'), join(dir, 'src.bin'));
    const fromBuffer = await client.uploadFile(intoPrivate('b'), new Uint8Array(data));
    const fromStream = await client.uploadFile(
      intoPrivate('c', { size: data.length }),
      createReadStream(join(dir, 'src.bin')),
    );
    for (const file of [fromPath, fromBuffer, fromStream])
      expect((await girder.server.getFileBytes(file._id)).equals(data)).toBe(true);
  });

  it('creates an empty file at once', async () => {
    const file = await adminClient(girder.server).uploadFile(intoPrivate('empty'), Buffer.alloc(0));
    expect(file).toMatchObject({ _modelType: 'file', size: 0 });
    expect(chunkRequests()).toHaveLength(0);
  });

  it('resumes after a failed chunk from the offset Girder reports', async () => {
    const data = pattern(500_000, 11);
    const logger = recordingLogger();
    girder.server.faults.failNext({ path: '/file/chunk', status: 503, after: 2 });
    const file = await adminClient(girder.server, { chunkBytes: MIN_CHUNK, logger }).uploadFile(
      intoPrivate('retry.bin'),
      data,
    );
    expect((await girder.server.getFileBytes(file._id)).equals(data)).toBe(true);
    expect(chunkRequests().map((r) => r.status)).toContain(503);
    expect(girder.server.requests.some((r) => r.path.endsWith('/file/offset'))).toBe(true);
    expect(logger.text()).toContain('an upload chunk failed; resuming');
  });

  it.each([
    ['a Buffer', (data: Buffer) => data],
    [
      'a Readable of known size',
      (data: Buffer) =>
        Readable.from(Array.from({ length: 40 }, (_, i) => data.subarray(i * 10_000, (i + 1) * 10_000))),
    ],
  ])('resumes a chunk cut mid-body from the bytes Girder kept (%s)', async (_, source) => {
    const data = pattern(400_000, 13);
    let cut = false;
    // A transport whose link drops after 10,000 bytes of the second chunk's body.
    const droppingFetch: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (!cut && request.url.includes('/file/chunk') && request.url.includes(`offset=${MIN_CHUNK}`)) {
        cut = true;
        const bytes = new Uint8Array(await request.arrayBuffer());
        const body = new ReadableStream<Uint8Array>({
          start: (controller) => controller.enqueue(bytes.subarray(0, 10_000)),
          pull: (controller) =>
            new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
              controller.error(new Error('link dropped')),
            ),
        });
        return fetch(request.url, {
          method: 'POST',
          headers: request.headers,
          body,
          duplex: 'half',
        } as RequestInit);
      }
      return fetch(request);
    };
    const client = adminClient(girder.server, { chunkBytes: MIN_CHUNK, fetch: droppingFetch });
    const file = await client.uploadFile(intoPrivate('cut.bin', { size: data.length }), source(data));
    expect(cut).toBe(true);
    expect((await girder.server.getFileBytes(file._id)).equals(data)).toBe(true);
    // The resumed chunk starts after the kept bytes and is a full chunk again (never below the minimum).
    const offsets = chunkRequests().map((r) => Number(r.query.offset));
    expect(offsets).toContain(MIN_CHUNK + 10_000);
    expect(offsets).toContain(2 * MIN_CHUNK + 10_000);
  });

  it('gives up after the retry limit and cancels the upload', async () => {
    girder.server.faults.failNext({ path: '/file/chunk', status: 503, count: 10 });
    const error = await rejection(
      adminClient(girder.server, { retry: { limit: 2, backoffLimitMs: 5 } }).uploadFile(
        intoPrivate('x'),
        pattern(1000),
      ),
    );
    expect(isGirderHttpError(error) && error.status).toBe(503);
    expect(chunkRequests()).toHaveLength(3);
    expect(girder.server.openUploads).toBe(0);
  });

  it('spools a Readable of unknown size to a temporary file, uploads it, and removes the spool', async () => {
    const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(10_000, i));
    const file = await adminClient(girder.server, { chunkBytes: MIN_CHUNK }).uploadFile(
      intoPrivate('spooled.bin'),
      Readable.from(parts),
    );
    expect(file.size).toBe(200_000);
    expect((await girder.server.getFileBytes(file._id)).equals(Buffer.concat(parts))).toBe(true);
    // afterEach's assertNoLeaks fails if the spool directory is still in TMPDIR.
  });

  it('removes the spool when the source stream fails', async () => {
    const source = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        this.destroy(new Error('source broke'));
      },
    });
    const error = await rejection(adminClient(girder.server).uploadFile(intoPrivate('broken'), source));
    expect(String(error)).toContain('source broke');
    expect(girder.server.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('cancels the upload when a stream gives fewer or more bytes than declared', async () => {
    const client = adminClient(girder.server);
    const short = await rejection(
      client.uploadFile(intoPrivate('short', { size: 1000 }), Readable.from([Buffer.alloc(10)])),
    );
    expect(isIncorrectUploadLengthError(short)).toBe(true);
    expect(short).toMatchObject({ expected: 1000, received: 10, code: 'GIRDER_UPLOAD_LENGTH' });
    const long = await rejection(
      client.uploadFile(intoPrivate('long', { size: 10 }), Readable.from([Buffer.alloc(20)])),
    );
    expect(isIncorrectUploadLengthError(long)).toBe(true);
    expect(girder.server.openUploads).toBe(0);
    expect(girder.server.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2);
  });

  it('refuses a Buffer whose length differs from size before sending anything', async () => {
    const error = await rejection(
      adminClient(girder.server).uploadFile(intoPrivate('b', { size: 5 }), Buffer.alloc(6)),
    );
    expect(isIncorrectUploadLengthError(error)).toBe(true);
    expect(girder.server.requests).toHaveLength(0);
  });

  it('rejects an invalid target naming the field, and destroys a Readable source', async () => {
    const client = adminClient(girder.server);
    const source = Readable.from([Buffer.alloc(1)]);
    await expect(
      client.uploadFile({ ...intoPrivate('x'), parentType: 'user' as 'item' }, source),
    ).rejects.toThrow(/parentType: expected "item" or "folder", got "user"/);
    expect(source.destroyed).toBe(true);
    await expect(client.uploadFile(intoPrivate(''), Buffer.alloc(1))).rejects.toThrow(
      /name: expected a non-empty string/,
    );
    await expect(client.uploadFile(intoPrivate('x', { size: -1 }), Buffer.alloc(1))).rejects.toThrow(
      /size: expected an integer >= 0/,
    );
    await expect(client.uploadFile(intoPrivate('x', { chunkBytes: 10 }), Buffer.alloc(1))).rejects.toThrow(
      /chunkBytes: expected an integer >= 65536, got 10/,
    );
    expect(girder.server.requests).toHaveLength(0);
  });

  it('stops with the abort reason and cancels the upload', async () => {
    const controller = new AbortController();
    const reason = new Error('stop now');
    girder.server.faults.delay({ path: '/file/chunk', ms: 2000, after: 1 });
    setTimeout(() => controller.abort(reason), 100);
    const error = await rejection(
      adminClient(girder.server, { chunkBytes: MIN_CHUNK }).uploadFile(
        { ...intoPrivate('aborted'), signal: controller.signal },
        pattern(300_000),
      ),
    );
    expect(error).toBe(reason);
    expect(girder.server.openUploads).toBe(0);
  });
});

describe('uploadFileToItem, uploadFileToFolder', () => {
  it('adds a file to an item, or creates an item named after the file in a folder', async () => {
    const { server } = girder;
    const dir = await makeTempDir();
    await writeFile(join(dir, 'notes.txt'), 'hello');
    const client = adminClient(server);
    const item = await client.createItem(server.admin.privateFolderId, 'holder');
    const inItem = await client.uploadFileToItem(item._id, join(dir, 'notes.txt'));
    expect(inItem.itemId).toBe(item._id);
    const inFolder = await client.uploadFileToFolder(server.admin.privateFolderId, join(dir, 'notes.txt'), {
      name: 'other.txt',
      mimeType: 'text/plain',
    });
    expect(inFolder).toMatchObject({ name: 'other.txt', mimeType: 'text/plain' });
    expect((await client.getItem(inFolder.itemId as string)).name).toBe('other.txt');
  });
});
