import { createReadStream } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerRun } from '@girder-worker/docker';
import { GirderClient } from '@girder-worker/girder-client';
import { type GirderTestServer, startGirderTestServer } from '@girder-worker/girder-test-server';
import { Connect, NamedInputPipe, NamedOutputPipe, ProgressPipe, pipesKinds } from '@girder-worker/pipes';
import { assertNoLeaks, makeTempDir, TEST_IMAGE, writeRandomFile } from '@girder-worker/test-helpers';
import {
  createRegistry,
  type Reporter,
  revive,
  Services,
  serialize,
  VolumePath,
} from '@girder-worker/transforms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
  GirderItemMetadata,
  GirderUploadStream,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
  girderKinds,
  JobManager,
  JobStatus,
} from '../src/index.ts';

const MiB = 1024 * 1024;
let server: GirderTestServer;
let client: GirderClient;
let services: Services;

beforeEach(async () => {
  server = await startGirderTestServer({ minimumChunkSize: 64 * 1024, checksums: false });
  client = new GirderClient({
    apiUrl: server.apiUrl,
    token: server.admin.token,
    minimumChunkBytes: 64 * 1024,
    chunkBytes: 8 * MiB,
    retry: { limit: 3, backoffLimitMs: 20 },
  });
  services = new Services({ girder: client });
});
afterEach(async () => {
  await server.close();
  await assertNoLeaks();
});

function lines(): Reporter & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    log: (line, source) => (source === 'stderr' ? stderr : stdout).push(line),
    progress: () => {},
  };
}

async function girderFile(name: string, data: Buffer | string): Promise<{ fileId: string; itemId: string }> {
  const item = server.createItem({ folderId: server.admin.privateFolderId, name });
  const file = await server.createFile({ itemId: item._id, name, data });
  return { fileId: file._id, itemId: item._id };
}

const base = { image: TEST_IMAGE, pullImage: false } as const;

describe('Girder data into containers', () => {
  it('downloads a file to the run volume and the container reads it', async () => {
    const { fileId } = await girderFile('hello.txt', 'hello from girder\n');
    const out = lines();
    await dockerRun({
      ...base,
      services,
      reporter: out,
      containerArgs: ['sh', '-c', 'echo "$0"; cat "$0"', new GirderFileIdToVolume(fileId)],
    });
    expect(out.stdout[0]).toMatch(new RegExp(`^/mnt/girder_worker/[0-9a-f]{32}/${fileId}/hello.txt$`));
    expect(out.stdout[1]).toBe('hello from girder');
  });

  it('streams a file through a named pipe, byte-exact, surviving a cut connection and a 503', async () => {
    const dir = await makeTempDir();
    const expected = await writeRandomFile(join(dir, 'data.bin'), 64 * MiB);
    const item = server.createItem({ folderId: server.admin.privateFolderId, name: 'data.bin' });
    const file = await server.createFile({
      itemId: item._id,
      name: 'data.bin',
      data: { path: join(dir, 'data.bin') },
    });
    // The connection drops after 10 MiB, and the first resume is answered 503: both are survived.
    server.faults.cutDownload({ afterBytes: 10 * MiB });
    server.faults.failNext({ method: 'GET', path: /\/download$/, status: 503, after: 1 });
    const out = lines();
    await dockerRun({
      ...base,
      services,
      reporter: out,
      containerArgs: [
        'sh',
        '-c',
        'sha256sum < "$0"',
        new Connect(new GirderFileIdToStream(file._id), new NamedInputPipe('input')),
      ],
    });
    expect(out.stdout).toEqual([`${expected}  -`]);
    const downloads = server.requests.filter((r) => r.path.endsWith('/download')).map((r) => r.status);
    expect(downloads).toEqual([200, 503, 206]);
  });

  it('downloads an item with three files and the container lists them', async () => {
    const item = server.createItem({ folderId: server.admin.privateFolderId, name: 'three' });
    for (const name of ['a.txt', 'b.txt', 'c.txt'])
      await server.createFile({ itemId: item._id, name, data: name });
    const out = lines();
    await dockerRun({
      ...base,
      services,
      reporter: out,
      containerArgs: ['sh', '-c', 'basename "$0"; ls "$0"', new GirderItemIdToVolume(item._id)],
    });
    expect(out.stdout).toEqual(['three', 'a.txt', 'b.txt', 'c.txt']);
  });

  it('downloads a folder recursively', async () => {
    const folder = server.createFolder({
      parentType: 'folder',
      parentId: server.admin.privateFolderId,
      name: 'tree',
    });
    const sub = server.createFolder({ parentType: 'folder', parentId: folder._id, name: 'sub' });
    const a = server.createItem({ folderId: folder._id, name: 'top.txt' });
    await server.createFile({ itemId: a._id, name: 'top.txt', data: 'top' });
    const b = server.createItem({ folderId: sub._id, name: 'deep.txt' });
    await server.createFile({ itemId: b._id, name: 'deep.txt', data: 'deep' });
    const out = lines();
    await dockerRun({
      ...base,
      services,
      reporter: out,
      containerArgs: [
        'sh',
        '-c',
        'cd "$0" && find . -type f | sort && cat sub/deep.txt',
        new GirderFolderIdToVolume(folder._id),
      ],
    });
    expect(out.stdout).toEqual(['./sub/deep.txt', './top.txt', 'deep']);
  });

  it('keeps a file named ../../evil inside its volume', async () => {
    const { fileId } = await girderFile('../../evil', 'x');
    const out = lines();
    await dockerRun({
      ...base,
      services,
      reporter: out,
      containerArgs: ['sh', '-c', 'echo "$0"; cat "$0"', new GirderFileIdToVolume(fileId)],
    });
    expect(out.stdout[0]).toMatch(new RegExp(`/${fileId}/\\.\\._\\.\\._evil$`));
    expect(out.stdout[1]).toBe('x');
  });
});

describe('container output into Girder', () => {
  it('uploads a VolumePath to an item, surviving a 503 on a chunk, and sets metadata', async () => {
    const item = server.createItem({ folderId: server.admin.privateFolderId, name: 'results' });
    const out = new VolumePath('result.txt');
    server.faults.failNext({ path: '/file/chunk', status: 503 });
    const { results } = await dockerRun({
      ...base,
      services,
      containerArgs: ['sh', '-c', 'seq 1 1000 > "$0"', out],
      resultHooks: [new GirderUploadVolumePathToItem(out, item._id), new GirderItemMetadata(item._id)],
    });
    const [fileId] = results as [string];
    expect((await server.getFileBytes(fileId)).toString()).toBe(
      Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''),
    );
    expect(server.getItem(item._id).meta).toMatchObject({ exitCode: 0 });
  });

  it('uploads a directory the container wrote, recursively, to a folder', async () => {
    const folder = server.createFolder({
      parentType: 'folder',
      parentId: server.admin.privateFolderId,
      name: 'outputs',
    });
    const dir = new VolumePath('outdir');
    await dockerRun({
      ...base,
      services,
      containerArgs: [
        'sh',
        '-c',
        'mkdir -p "$0/sub" && echo 1 > "$0/one.txt" && echo 2 > "$0/sub/two.txt"',
        dir,
      ],
      resultHooks: [new GirderUploadVolumePathToFolder(dir, folder._id)],
    });
    expect(server.listFolderItems(folder._id).map((i) => i.name)).toEqual(['one.txt']);
    const [sub] = server.listSubfolders(folder._id);
    expect(sub?.name).toBe('sub');
    expect(server.listFolderItems(sub?._id as string).map((i) => i.name)).toEqual(['two.txt']);
  });

  it('streams a named output pipe into a new Girder file with a declared size (1 GiB, flat memory)', async () => {
    // The server shares this process. Baseline: the same upload of 64 MiB just before (every
    // buffer, pool and connection already there); 1 GiB may add no more than a margin that
    // holds on a loaded machine. Absolute figures are in the benches.
    const upload = async (name: string, size: number): Promise<number> => {
      global.gc?.();
      let peak = process.memoryUsage().rss;
      const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        await dockerRun({
          ...base,
          services,
          containerArgs: [
            'sh',
            '-c',
            `dd if=/dev/zero bs=1M count=${size / MiB} 2>/dev/null > "$0"`,
            new Connect(
              new NamedOutputPipe('out'),
              new GirderUploadStream({
                parentType: 'folder',
                parentId: server.admin.privateFolderId,
                name,
                size,
              }),
            ),
          ],
        });
      } finally {
        clearInterval(sample);
      }
      const item = server.listFolderItems(server.admin.privateFolderId).find((i) => i.name === name);
      const [file] = server.listItemFiles(item?._id as string);
      expect(file?.size).toBe(size);
      return Math.max(peak, process.memoryUsage().rss);
    };
    const baseline = await upload('baseline.bin', 64 * MiB);
    const peak = await upload('zeros.bin', 1024 * MiB);
    expect((peak - baseline) / MiB).toBeLessThan(96);
  }, 300_000); // two uploads on a machine that may be busy: a hang, not slowness, should fail

  it('streams a named output pipe of unknown size into Girder (spooled)', async () => {
    const { createHash } = await import('node:crypto');
    await dockerRun({
      ...base,
      services,
      containerArgs: [
        'sh',
        '-c',
        'seq 1 200000 > "$0"',
        new Connect(
          new NamedOutputPipe('out'),
          new GirderUploadStream({
            parentType: 'folder',
            parentId: server.admin.privateFolderId,
            name: 'seq.txt',
          }),
        ),
      ],
    });
    const item = server.listFolderItems(server.admin.privateFolderId).find((i) => i.name === 'seq.txt');
    const [file] = server.listItemFiles(item?._id as string);
    const expected = Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('');
    const bytes = await server.getFileBytes(file?._id as string);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      createHash('sha256').update(expected).digest('hex'),
    );
  });
});

describe('JobManager', () => {
  function jobClient(token: string): GirderClient {
    return new GirderClient({ apiUrl: server.apiUrl, token });
  }

  it('reports RUNNING then SUCCESS, log lines, and progress from a ProgressPipe', async () => {
    const { job, token } = server.createJob({ title: 'progress' });
    const manager = new JobManager({
      client: jobClient(token),
      jobId: job._id,
      logIntervalMs: 50,
      progressIntervalMs: 50,
    });
    const progress = new ProgressPipe();
    await manager.run((signal, reporter) =>
      dockerRun({
        ...base,
        services,
        signal,
        reporter,
        containerArgs: [
          'sh',
          '-c',
          'for i in 1 2 3 4; do echo "{\\"total\\": 4, \\"current\\": $i, \\"message\\": \\"step $i\\"}" > "$0"; echo "did $i"; done',
          progress,
        ],
      }),
    );
    const done = server.getJob(job._id);
    // The job was QUEUED when it was scheduled; the run adds RUNNING and SUCCESS.
    expect(done.timestamps.map((t) => t.status)).toEqual([
      JobStatus.QUEUED,
      JobStatus.RUNNING,
      JobStatus.SUCCESS,
    ]);
    expect(done.log.join('')).toBe('did 1\ndid 2\ndid 3\ndid 4\n');
    expect(done.progress).toMatchObject({ total: 4, current: 4, message: 'step 4' });
  });

  it('reports ERROR with the stderr tail in the log, and uploads an artifact on exception', async () => {
    const { job, token } = server.createJob({ title: 'failing' });
    const manager = new JobManager({ client: jobClient(token), jobId: job._id, logIntervalMs: 50 });
    const logFile = new VolumePath('debug.log');
    const error = await manager
      .run((signal, reporter) =>
        dockerRun({
          ...base,
          services: services.with({ girderJob: { jobId: job._id } }),
          signal,
          reporter,
          containerArgs: ['sh', '-c', 'echo "debug info" > "$0"; echo "it broke" >&2; exit 2', logFile],
          resultHooks: [new GirderUploadVolumePathJobArtifact(logFile, { uploadOnException: true })],
        }),
      )
      .catch((e: unknown) => e);
    expect((error as { exitCode: number }).exitCode).toBe(2);
    const done = server.getJob(job._id);
    expect(done.timestamps.map((t) => t.status)).toEqual([
      JobStatus.QUEUED,
      JobStatus.RUNNING,
      JobStatus.ERROR,
    ]);
    expect(done.log.join('')).toContain('it broke');
    expect(done.log.join('')).toContain('exited with code 2');
    const [artifact] = server.listJobArtifacts(job._id);
    expect((await server.getFileBytes(artifact?._id as string)).toString()).toBe('debug info\n');
  });

  it('ends CANCELED when the job is cancelled in Girder while it runs', async () => {
    const { job, token } = server.createJob({ title: 'cancel me' });
    const manager = new JobManager({ client: jobClient(token), jobId: job._id, pollIntervalMs: 100 });
    const run = manager.run((signal, reporter) =>
      dockerRun({
        ...base,
        signal,
        reporter,
        stopGraceMs: 500,
        containerArgs: ['sleep', '60'],
        onEvent: (event) => {
          if (event.type === 'started') void client.put(`job/${job._id}/cancel`);
        },
      }),
    );
    await expect(run).rejects.toThrow(/was cancelled/);
    const statuses = server.getJob(job._id).timestamps.map((t) => t.status);
    expect(statuses.slice(0, 2)).toEqual([JobStatus.QUEUED, JobStatus.RUNNING]);
    expect(statuses.at(-1)).toBe(JobStatus.CANCELED);
  });
});

describe('serialization', () => {
  it('round-trips every Girder transform with ids only, never a token', () => {
    const out = new VolumePath('o.txt');
    const id = '0123456789abcdef01234567';
    const spec = [
      new GirderFileIdToVolume(id, { filename: 'in/file.bin' }),
      new GirderItemIdToVolume(id),
      new GirderFolderIdToVolume(id, { folderName: 'data' }),
      new Connect(new GirderFileIdToStream(id), new NamedInputPipe('p')),
      new Connect(
        new NamedOutputPipe('q'),
        new GirderUploadStream({ parentType: 'item', parentId: id, name: 'x', size: 3 }),
      ),
      new GirderUploadVolumePathToItem(out, id, { deleteFile: true }),
      new GirderUploadVolumePathToFolder(out, id),
      new GirderUploadVolumePathJobArtifact(out, { jobId: id, uploadOnException: true }),
      new GirderItemMetadata(id, { a: 1 }),
    ];
    const json = JSON.stringify(serialize(spec));
    expect(json).not.toContain(server.admin.token);
    const registry = createRegistry(pipesKinds, girderKinds);
    const back = revive(JSON.parse(json), registry);
    expect(JSON.stringify(serialize(back))).toBe(json);
    expect(() =>
      revive({ $transform: 'GirderFileIdToVolume', fileId: 'nope' }, registry, 'containerArgs[0]'),
    ).toThrow('containerArgs[0].fileId: expected a Girder id (24 hex digits), got "nope"');
  });
});

void createReadStream;
void mkdir;
void readdir;
void writeFile;
