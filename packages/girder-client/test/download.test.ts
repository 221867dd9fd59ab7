import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@girder-worker/test-helpers';
import { describe, expect, it, vi } from 'vitest';
import { isGirderHttpError, isGirderNetworkError } from '../src/index.ts';
import {
  adminClient,
  downloadRequests,
  girderFile,
  pattern,
  recordingLogger,
  rejection,
  useGirder,
} from './support.ts';

const girder = useGirder();

const downloads = () => downloadRequests(girder.server);

describe('downloadFile', () => {
  it('streams a file byte-exact', async () => {
    const data = pattern(1_000_000);
    const file = await girderFile(girder.server, data);
    const got = Buffer.concat(await Array.fromAsync(adminClient(girder.server).downloadFile(file._id)));
    expect(got.equals(data)).toBe(true);
    expect(downloads().map((r) => r.status)).toEqual([200]);
  });

  it('resumes a cut download with Range from the last byte received', async () => {
    const data = pattern(300_000, 3);
    const file = await girderFile(girder.server, data);
    girder.server.faults.cutDownload({ afterBytes: 100_000, count: 2 });
    const logger = recordingLogger();
    const got = Buffer.concat(
      await Array.fromAsync(adminClient(girder.server, { logger }).downloadFile(file._id)),
    );
    expect(got.equals(data)).toBe(true);
    expect(downloads().map((r) => r.status)).toEqual([200, 206, 206]);
    expect(logger.lines.filter((l) => l.startsWith('warn a Girder download was cut'))).toHaveLength(2);
  });

  it('retries a resumed request that answers 503', async () => {
    const data = pattern(200_000, 17);
    const file = await girderFile(girder.server, data);
    girder.server.faults.cutDownload({ afterBytes: 50_000 });
    girder.server.faults.failNext({ method: 'GET', path: /\/download$/, status: 503, after: 1 });
    const got = Buffer.concat(await Array.fromAsync(adminClient(girder.server).downloadFile(file._id)));
    expect(got.equals(data)).toBe(true);
    expect(downloads().map((r) => r.status)).toEqual([200, 503, 206]);
  });

  it('gives up with a GirderNetworkError after maxResumes cuts', async () => {
    const file = await girderFile(girder.server, pattern(50_000));
    girder.server.faults.cutDownload({ afterBytes: 1000, count: 10 });
    const stream = adminClient(girder.server).downloadFile(file._id, { maxResumes: 2 });
    const error = await rejection(Array.fromAsync(stream));
    expect(isGirderNetworkError(error)).toBe(true);
    expect(String(error)).toMatch(/gave up after 2 resumes at byte 3000/);
    expect(downloads()).toHaveLength(3);
  });

  it('serves byte ranges with offset and endByte (non-inclusive), as 206 answers', async () => {
    const data = pattern(10_000, 5);
    const file = await girderFile(girder.server, data);
    const client = adminClient(girder.server);
    const range = async (options: { offset?: number; endByte?: number }) =>
      Buffer.concat(await Array.fromAsync(client.downloadFile(file._id, options)));
    expect((await range({ offset: 1000, endByte: 2000 })).equals(data.subarray(1000, 2000))).toBe(true);
    expect((await range({ offset: 9990 })).equals(data.subarray(9990))).toBe(true);
    expect((await range({ endByte: 5 })).equals(data.subarray(0, 5))).toBe(true);
    expect(downloads().map((r) => r.status)).toEqual([206, 206, 206]);
  });

  it('resumes a cut range and ends exactly at endByte', async () => {
    const data = pattern(200_000, 7);
    const file = await girderFile(girder.server, data);
    girder.server.faults.cutDownload({ afterBytes: 30_000 });
    const got = Buffer.concat(
      await Array.fromAsync(
        adminClient(girder.server).downloadFile(file._id, { offset: 10_000, endByte: 150_000 }),
      ),
    );
    expect(got.equals(data.subarray(10_000, 150_000))).toBe(true);
  });

  it('errors the stream with a GirderHttpError for a missing file, without resuming', async () => {
    const error = await rejection(
      Array.fromAsync(adminClient(girder.server).downloadFile('0123456789abcdef01234567')),
    );
    expect(isGirderHttpError(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, girderMessage: 'No such file: 0123456789abcdef01234567' });
    expect(downloads()).toHaveLength(1);
  });

  it('stops with the abort reason when the caller aborts mid-stream', async () => {
    const file = await girderFile(girder.server, pattern(2_000_000));
    const controller = new AbortController();
    const reason = new Error('enough');
    const stream = adminClient(girder.server).downloadFile(file._id, { signal: controller.signal });
    const error = await rejection(
      (async () => {
        for await (const _ of stream) controller.abort(reason);
      })(),
    );
    expect(error).toBe(reason);
    await vi.waitFor(() => expect(downloads()).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(downloads()).toHaveLength(1);
  });

  it('sends no further request once the consumer destroys the stream', async () => {
    const file = await girderFile(girder.server, pattern(4_000_000));
    const stream = adminClient(girder.server).downloadFile(file._id);
    for await (const _ of stream) break; // destroys the stream after the first chunk
    await vi.waitFor(() => expect(downloads()).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(downloads()).toHaveLength(1);
  });

  it('rejects invalid options naming the field', () => {
    const client = adminClient(girder.server);
    expect(() => client.downloadFile('x', { offset: -1 })).toThrow(/offset: expected an integer >= 0/);
    expect(() => client.downloadFile('x', { offset: 10, endByte: 10 })).toThrow(
      /endByte: expected an integer >= 11/,
    );
  });
});

describe('downloadFileToPath, downloadItem', () => {
  it('writes a file to a path, and removes the partial file when it fails', async () => {
    const data = pattern(100_000);
    const file = await girderFile(girder.server, data);
    const dir = await makeTempDir();
    const client = adminClient(girder.server);
    await client.downloadFileToPath(file._id, join(dir, 'copy.bin'));
    expect((await readFile(join(dir, 'copy.bin'))).equals(data)).toBe(true);
    girder.server.faults.cutDownload({ afterBytes: 10, count: 10 });
    await rejection(client.downloadFileToPath(file._id, join(dir, 'partial.bin'), { maxResumes: 1 }));
    expect(await readdir(dir)).toEqual(['copy.bin']);
  });

  it('writes a one-file item as dir/<item name> and a multi-file item as dir/<item name>/<files>', async () => {
    const { server } = girder;
    const single = server.createItem({ folderId: server.admin.privateFolderId, name: 'single' });
    await server.createFile({ itemId: single._id, name: 'inner-name.txt', data: 'one' });
    const multi = server.createItem({ folderId: server.admin.privateFolderId, name: 'multi' });
    await server.createFile({ itemId: multi._id, name: 'a.txt', data: 'A' });
    await server.createFile({ itemId: multi._id, name: 'b.txt', data: 'B' });
    const dir = await makeTempDir();
    const client = adminClient(server);
    expect(await client.downloadItem(single._id, dir)).toBe(join(dir, 'single'));
    expect(await readFile(join(dir, 'single'), 'utf8')).toBe('one');
    expect(await client.downloadItem(multi._id, dir)).toBe(join(dir, 'multi'));
    expect((await readdir(join(dir, 'multi'))).sort()).toEqual(['a.txt', 'b.txt']);
    expect(await readFile(join(dir, 'multi', 'b.txt'), 'utf8')).toBe('B');
    await client.downloadItem(single._id, dir, { name: 'renamed' });
    expect((await stat(join(dir, 'renamed'))).size).toBe(3);
  });
});
