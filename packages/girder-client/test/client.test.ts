import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type GirderTestServer, startGirderTestServer } from '@girder-worker/girder-test-server';
import {
  assertNoLeaks,
  hashFile,
  hashStream,
  makeTempDir,
  writeRandomFile,
} from '@girder-worker/test-helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GirderClient,
  isGirderHttpError,
  isIncorrectUploadLengthError,
  isUnsafeNameError,
  type Logger,
  safeFileName,
} from '../src/index.ts';

const MiB = 1024 * 1024;
let server: GirderTestServer;

beforeEach(async () => {
  server = await startGirderTestServer({ minimumChunkSize: 64 * 1024, checksums: false });
});
afterEach(async () => {
  await server.close();
  await assertNoLeaks({ containers: false });
});

function adminClient(extra: Partial<ConstructorParameters<typeof GirderClient>[0]> = {}): GirderClient {
  return new GirderClient({
    apiUrl: server.apiUrl,
    token: server.admin.token,
    minimumChunkBytes: 64 * 1024,
    ...extra,
  });
}

function recordingLogger(): Logger & { text: () => string } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, context?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    text: () => lines.join('\n'),
  };
}

describe('authentication', () => {
  it('logs in with a password, an API key, or a given token', async () => {
    const withPassword = new GirderClient({ apiUrl: server.apiUrl });
    const token = await withPassword.authenticate({
      username: server.admin.login,
      password: server.admin.password,
    });
    expect(token.token).toMatch(/\S{20,}/);
    expect((await withPassword.getMe())?.login).toBe(server.admin.login);
    const withKey = new GirderClient({ apiUrl: server.apiUrl, apiKey: server.admin.apiKey });
    await withKey.authenticate();
    expect((await withKey.getMe())?.login).toBe(server.admin.login);
    expect((await adminClient().getMe())?.login).toBe(server.admin.login);
    expect(await new GirderClient({ apiUrl: server.apiUrl }).getMe()).toBeNull();
  });

  it('fails with a GirderHttpError on wrong credentials, without the password or token in it', async () => {
    const logger = recordingLogger();
    const client = new GirderClient({ apiUrl: server.apiUrl, logger });
    const error = await client
      .authenticate({ username: server.admin.login, password: 'wrong-password-123' })
      .catch((e: unknown) => e);
    expect(isGirderHttpError(error)).toBe(true);
    expect((error as { status: number }).status).toBe(401);
    const bad = new GirderClient({ apiUrl: server.apiUrl, token: 'token-that-is-secret-42', logger });
    const denied = await bad
      .get('item', {
        searchParams: { folderId: server.admin.privateFolderId, token: 'token-that-is-secret-42' },
      })
      .catch((e: unknown) => e);
    expect(isGirderHttpError(denied)).toBe(true);
    for (const text of [String(error), String(denied), JSON.stringify(denied), logger.text()]) {
      expect(text).not.toContain('wrong-password-123');
      expect(text).not.toContain('token-that-is-secret-42');
      expect(text).not.toContain(server.admin.token);
    }
  });
});

describe('resources', () => {
  it('pages past one page of items', async () => {
    const client = adminClient();
    const folder = await client.createFolder(server.admin.privateFolderId, 'many');
    for (let i = 0; i < 120; i++)
      server.createItem({ folderId: folder._id, name: `item-${String(i).padStart(3, '0')}` });
    const names: string[] = [];
    for await (const item of client.listItems({ folderId: folder._id })) names.push(item.name);
    expect(names).toHaveLength(120);
    expect(new Set(names).size).toBe(120);
    expect(server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/item')).length).toBe(3);
  });

  it('reuses an existing folder and item by name, and sets and deletes metadata', async () => {
    const client = adminClient();
    const a = await client.createFolder(server.admin.privateFolderId, 'same', { reuseExisting: true });
    const b = await client.createFolder(server.admin.privateFolderId, 'same', { reuseExisting: true });
    expect(b._id).toBe(a._id);
    const item = await client.createItem(a._id, 'it', { reuseExisting: true });
    expect((await client.createItem(a._id, 'it', { reuseExisting: true }))._id).toBe(item._id);
    await client.addMetadataToItem(item._id, { keep: 1, drop: 2 });
    const updated = await client.addMetadataToItem(item._id, { drop: null });
    expect(updated.meta).toEqual({ keep: 1 });
  });

  it('reports Girder errors with status, type and field', async () => {
    const error = await adminClient()
      .getItem('not-an-id')
      .catch((e: unknown) => e);
    expect(isGirderHttpError(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, field: 'id', girderMessage: 'Invalid ObjectId: not-an-id' });
  });
});

describe('downloads and uploads', () => {
  it('uploads and downloads 1 GiB byte-exact with flat memory', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'big.bin');
    const expected = await writeRandomFile(file, 1024 * MiB);
    const client = adminClient({ chunkBytes: 8 * MiB });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const uploaded = await client.uploadFile(
        { parentType: 'folder', parentId: server.admin.privateFolderId, name: 'big.bin', size: 1024 * MiB },
        createReadStream(file),
      );
      expect(uploaded.size).toBe(1024 * MiB);
      expect(await hashStream(client.downloadFile(uploaded._id))).toBe(expected);
    } finally {
      clearInterval(sample);
    }
    expect((peak - before) / MiB).toBeLessThan(150);
  });

  it('resumes a download cut in the middle and serves ranges', async () => {
    const client = adminClient();
    const item = server.createItem({ folderId: server.admin.privateFolderId, name: 'r' });
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const file = await server.createFile({ itemId: item._id, name: 'r.bin', data });
    server.faults.cutDownload({ afterBytes: 100_000 });
    const whole = Buffer.concat(await Array.fromAsync(client.downloadFile(file._id)));
    expect(whole.equals(data)).toBe(true);
    const part = Buffer.concat(
      await Array.fromAsync(client.downloadFile(file._id, { offset: 1000, endByte: 2000 })),
    );
    expect(part.equals(data.subarray(1000, 2000))).toBe(true);
  });

  it('resumes an upload after a failed chunk, from the offset Girder reports', async () => {
    const client = adminClient({ chunkBytes: 64 * 1024, retry: { limit: 3, backoffLimitMs: 10 } });
    const data = Buffer.from(Array.from({ length: 500_000 }, (_, i) => (i * 7) % 256));
    server.faults.failNext({ path: '/file/chunk', status: 503, after: 2 });
    const file = await client.uploadFile(
      { parentType: 'folder', parentId: server.admin.privateFolderId, name: 'retry.bin' },
      data,
    );
    expect((await server.getFileBytes(file._id)).equals(data)).toBe(true);
  });

  it('spools a stream of unknown size to disk, then uploads it (spool removed)', async () => {
    const client = adminClient({ chunkBytes: 64 * 1024 });
    const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(10_000, i));
    const file = await client.uploadFile(
      { parentType: 'folder', parentId: server.admin.privateFolderId, name: 'spooled.bin' },
      Readable.from(parts),
    );
    expect((await server.getFileBytes(file._id)).equals(Buffer.concat(parts))).toBe(true);
  });

  it('cancels the upload when the source gives fewer bytes than declared', async () => {
    const client = adminClient();
    const error = await client
      .uploadFile(
        { parentType: 'folder', parentId: server.admin.privateFolderId, name: 'short.bin', size: 1000 },
        Readable.from([Buffer.alloc(10)]),
      )
      .catch((e: unknown) => e);
    expect(isIncorrectUploadLengthError(error)).toBe(true);
    expect(server.openUploads).toBe(0);
  });

  it('uploads a folder tree and downloads it back identical', async () => {
    const source = await makeTempDir();
    await mkdir(join(source, 'sub/deeper'), { recursive: true });
    await writeFile(join(source, 'top.txt'), 'top');
    await writeFile(join(source, 'sub/a.txt'), 'a');
    await writeFile(join(source, 'sub/deeper/b.bin'), Buffer.alloc(200_000, 9));
    const client = adminClient({ chunkBytes: 64 * 1024 });
    const folder = await client.createFolder(server.admin.privateFolderId, 'tree');
    await client.uploadDirectoryToFolder(folder._id, source);
    const target = await makeTempDir();
    await client.downloadFolderRecursive(folder._id, target);
    const list = async (dir: string): Promise<string[]> =>
      (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(dir.length))
        .sort();
    expect(await list(target)).toEqual(await list(source));
    for (const path of await list(source))
      expect(await hashFile(join(target, path))).toBe(await hashFile(join(source, path)));
  });

  it('keeps hostile names inside the target directory', async () => {
    const client = adminClient();
    const folder = server.createFolder({
      parentType: 'folder',
      parentId: server.admin.privateFolderId,
      name: '../escape',
    });
    const item = server.createItem({ folderId: folder._id, name: '../../evil' });
    await server.createFile({ itemId: item._id, name: '/etc/passwd', data: 'x' });
    const multi = server.createItem({ folderId: folder._id, name: 'multi' });
    await server.createFile({ itemId: multi._id, name: '../a', data: 'a' });
    await server.createFile({ itemId: multi._id, name: 'sub/b', data: 'b' });
    const root = await makeTempDir();
    const target = join(root, 'inside');
    await client.downloadFolderRecursive(server.admin.privateFolderId, target);
    const written = (await readdir(root, { recursive: true })).sort();
    expect(written.every((p) => p.startsWith('inside'))).toBe(true);
    expect(await readFile(join(target, '.._escape', '.._.._evil'), 'utf8')).toBe('x');
    expect((await stat(join(target, '.._escape', 'multi', '.._a'))).isFile()).toBe(true);
    expect(() => safeFileName('..')).toThrow();
    expect(
      isUnsafeNameError(
        (() => {
          try {
            safeFileName('a\0b');
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe(true);
  });
});

describe('jobs', () => {
  it('updates a job with a scoped token and attaches an artifact', async () => {
    const { job, token } = server.createJob({ title: 'scoped' });
    const client = new GirderClient({ apiUrl: server.apiUrl, token });
    await client.updateJob(job._id, { status: 2, log: 'first line\n' });
    await client.updateJob(job._id, { progressTotal: 10, progressCurrent: 4, progressMessage: 'working' });
    const after = await client.getJob(job._id);
    expect(after.status).toBe(2);
    expect(after.log).toEqual(['first line\n']);
    expect(after.progress).toMatchObject({ total: 10, current: 4, message: 'working' });
    await adminClient().addJobArtifact(job._id, { name: 'notes.txt', source: Buffer.from('artifact body') });
    const artifacts = server.listJobArtifacts(job._id);
    expect(artifacts.map((a) => a.name)).toEqual(['notes.txt']);
    expect((await server.getFileBytes(artifacts[0]?._id as string)).toString()).toBe('artifact body');
  });
});
