import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerRun } from '@girder-worker/docker';
import { assertUnchanged, LOCAL_IMAGE, makeTempDir } from '@girder-worker/test-helpers';
import {
  BindMountVolume,
  createRegistry,
  isTransformError,
  isUnsafePathError,
  revive,
  VolumePath,
} from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import {
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
  girderKinds,
  JobManager,
} from '../src/index.ts';
import { lines, makeVictim, useGirder } from './support.ts';

const girder = useGirder();

function folder(name: string): string {
  const { server } = girder;
  return server.createFolder({ parentType: 'folder', parentId: server.admin.privateFolderId, name })._id;
}

/** The run's error, which must be a refusal of a symbolic link. */
function expectLinkRefused(error: unknown): void {
  expect(isTransformError(error), String(error)).toBe(true);
  const cause = (error as { cause?: unknown }).cause;
  expect(isUnsafePathError(cause), String(cause)).toBe(true);
  expect((cause as { reason: string }).reason).toBe('symlink');
  expect((error as Error).message).toContain('symbolic link');
}

describe('upload hooks never follow a link the container left (issue 12 case 1)', () => {
  it('refuses a result file the container replaced with a link to a host file', async () => {
    const victim = await makeVictim();
    const before = await victim.snapshot();
    const item = girder.server.createItem({ folderId: girder.server.admin.privateFolderId, name: 'r' });
    const out = new VolumePath('result.txt');
    const error = await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      containerArgs: ['sh', '-c', `ln -s ${victim.secret} "$0"`, out],
      resultHooks: [new GirderUploadVolumePathToItem(out, item._id)],
    }).catch((e: unknown) => e);
    expectLinkRefused(error);
    expect((error as Error).message).toContain('resultHooks[0]');
    expect(girder.server.listItemFiles(item._id)).toEqual([]);
    await assertUnchanged(before);
  });

  it('refuses a result folder that is a link to a host folder', async () => {
    const victim = await makeVictim();
    const before = await victim.snapshot();
    const target = folder('outputs');
    const out = new VolumePath('outdir');
    const error = await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      containerArgs: ['sh', '-c', `ln -s ${victim.dir} "$0"`, out],
      resultHooks: [new GirderUploadVolumePathToFolder(out, target, { deleteFile: true })],
    }).catch((e: unknown) => e);
    expectLinkRefused(error);
    expect(girder.server.listFolderItems(target)).toEqual([]);
    expect(girder.server.listSubfolders(target)).toEqual([]);
    await assertUnchanged(before);
  });

  it('refuses a link inside a result folder and a folder on the way that is a link', async () => {
    const victim = await makeVictim();
    const before = await victim.snapshot();
    const target = folder('outputs');
    const inside = new VolumePath('outdir');
    const through = new VolumePath('via/secret.txt');
    for (const [script, path, hook] of [
      [
        `mkdir "$0" && echo ok > "$0/ok.txt" && ln -s ${victim.dir} "$0/nested"`,
        inside,
        new GirderUploadVolumePathToFolder(inside, target),
      ],
      [`ln -s ${victim.dir} "$(dirname "$0")"`, through, new GirderUploadVolumePathToFolder(through, target)],
    ] as const) {
      const error = await dockerRun({
        ...LOCAL_IMAGE,
        services: girder.services,
        containerArgs: ['sh', '-c', script, path],
        resultHooks: [hook],
      }).catch((e: unknown) => e);
      expectLinkRefused(error);
    }
    expect(girder.server.listSubfolders(target)).toEqual([]);
    expect(girder.server.listFolderItems(target).map((i) => i.name)).not.toContain('secret.txt');
    await assertUnchanged(before);
  });

  it('attaches no host file as a job artifact, also on failure, and says why in the job log', async () => {
    const victim = await makeVictim();
    const before = await victim.snapshot();
    const { job, token } = girder.server.createJob({ title: 'hostile' });
    const { GirderClient } = await import('@girder-worker/girder-client');
    const jobClient = new GirderClient({ apiUrl: girder.server.apiUrl, token });
    const manager = new JobManager({ client: jobClient, jobId: job._id, logIntervalMs: 20 });
    const log = new VolumePath('debug.log');
    const error = await manager
      .run((signal, reporter) =>
        dockerRun({
          ...LOCAL_IMAGE,
          services: girder.services.with({ girderJob: { jobId: job._id } }),
          signal,
          reporter,
          containerArgs: ['sh', '-c', `ln -s ${victim.secret} "$0"; exit 3`, log],
          resultHooks: [new GirderUploadVolumePathJobArtifact(log, { uploadOnException: true })],
        }),
      )
      .catch((e: unknown) => e);
    expect((error as { exitCode?: number }).exitCode).toBe(3);
    expect(girder.server.listJobArtifacts(job._id)).toEqual([]);
    const jobLog = girder.server.getJob(job._id).log.join('');
    expect(jobLog).toContain('did not attach');
    expect(jobLog).toContain('symbolic link');

    const success = await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services.with({ girderJob: { jobId: job._id } }),
      containerArgs: ['sh', '-c', `mkdir "$0"; ln -s ${victim.secret} "$0/a.log"`, log],
      resultHooks: [new GirderUploadVolumePathJobArtifact(log)],
    }).catch((e: unknown) => e);
    expectLinkRefused(success);
    expect(girder.server.listJobArtifacts(job._id)).toEqual([]);
    await assertUnchanged(before);
  });

  it('still uploads real files and folders the container wrote', async () => {
    const item = girder.server.createItem({ folderId: girder.server.admin.privateFolderId, name: 'ok' });
    const target = folder('fine');
    const file = new VolumePath('result.txt');
    const dir = new VolumePath('outdir');
    const reporter = lines();
    await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      reporter,
      containerArgs: [
        'sh',
        '-c',
        'echo r > "$0"; mkdir -p "$1/s"; echo x > "$1/s/x.txt"; mkfifo "$1/p"',
        file,
        dir,
      ],
      resultHooks: [
        new GirderUploadVolumePathToItem(file, item._id, { deleteFile: true }),
        new GirderUploadVolumePathToFolder(dir, target),
      ],
    });
    const [uploaded] = girder.server.listItemFiles(item._id);
    expect((await girder.server.getFileBytes(uploaded?._id as string)).toString()).toBe('r\n');
    const [sub] = girder.server.listSubfolders(target);
    expect(sub?.name).toBe('s');
    expect(girder.server.listFolderItems(sub?._id as string).map((i) => i.name)).toEqual(['x.txt']);
  });
});

describe('deleteFile never deletes a volume root (issue 12 case 4)', () => {
  it('refuses VolumePath(".") and "a/.." with deleteFile before anything runs, and the mounted folder stays', async () => {
    const host = await makeTempDir();
    await writeFile(join(host, 'user.txt'), 'user data');
    const volume = new BindMountVolume(host, '/mnt/data');
    const target = folder('dest');
    for (const filename of ['.', 'a/..', './']) {
      expect(
        () =>
          new GirderUploadVolumePathToFolder(new VolumePath(filename, volume), target, { deleteFile: true }),
      ).toThrow(/deleteFile: expected false when volumePath names the volume root itself/);
      expect(
        () =>
          new GirderUploadVolumePathToItem(new VolumePath(filename, volume), target, { deleteFile: true }),
      ).toThrow(/a volume root is never deleted/);
    }
    const registry = createRegistry(girderKinds);
    expect(() =>
      revive(
        {
          $transform: 'GirderUploadVolumePathToFolder',
          volumePath: {
            $transform: 'VolumePath',
            filename: 'a/..',
            volume: { $transform: 'BindMountVolume', hostPath: host, containerPath: '/mnt/data' },
          },
          folderId: target,
          deleteFile: true,
        },
        registry,
        'resultHooks[0]',
      ),
    ).toThrow('resultHooks[0].deleteFile: expected false when volumePath names the volume root itself');
    // Uploading the whole mounted folder is fine; it is never deleted.
    await dockerRun({
      ...LOCAL_IMAGE,
      services: girder.services,
      volumes: [volume],
      containerArgs: ['sh', '-c', 'echo out > /mnt/data/out.txt'],
      resultHooks: [new GirderUploadVolumePathToFolder(new VolumePath('.', volume), target)],
    });
    expect(girder.server.listFolderItems(target).map((i) => i.name)).toEqual(['out.txt', 'user.txt']);
    expect((await stat(host)).isDirectory()).toBe(true);
    expect((await readdir(host)).sort()).toEqual(['out.txt', 'user.txt']);
  });
});
