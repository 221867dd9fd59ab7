import { access, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoLeaks, makeTempDir } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  collectVolumes,
  createTransformContext,
  isVolumeConflictError,
  resolveVolume,
  TemporaryVolume,
  transformArguments,
  Volume,
  VolumePath,
  withPhase,
} from '../src/index.ts';

afterEach(() => assertNoLeaks({ containers: false }));

describe('BindMountVolume', () => {
  it('becomes its container path and produces its Docker bind', async () => {
    const host = await makeTempDir();
    const volume = new BindMountVolume(host, '/mnt/data', 'ro');
    const run = new TemporaryVolume();
    await run.create();
    const ctx = createTransformContext({ temporaryVolume: run });
    expect(await volume.transform(ctx)).toBe('/mnt/data');
    expect(volume.bind()).toBe(`${host}:/mnt/data:ro`);
    expect(Volume).toBe(BindMountVolume);
    await run.remove();
  });

  it('rejects relative paths and unknown modes', () => {
    expect(() => new BindMountVolume('data', '/mnt')).toThrow(
      'hostPath: expected an absolute path, got "data"',
    );
    expect(() => new BindMountVolume('/d', 'mnt')).toThrow(
      'containerPath: expected an absolute path, got "mnt"',
    );
    // @ts-expect-error testing a bad mode from JavaScript
    expect(() => new BindMountVolume('/d', '/m', 'rx')).toThrow('mode: expected "rw" | "ro", got "rx"');
  });
});

describe('TemporaryVolume', () => {
  it('makes a directory with the mode asked for, whatever the umask, mounted under /mnt/girder_worker', async () => {
    const previous = process.umask(0o077);
    try {
      const volume = new TemporaryVolume({ dirMode: 0o775 });
      await volume.create();
      expect((await stat(volume.hostPath)).mode & 0o777).toBe(0o775);
      expect(volume.containerPath).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}$/);
      await volume.remove();
      await expect(access(volume.hostPath)).rejects.toThrow();
    } finally {
      process.umask(previous);
    }
  });

  it('is made under hostDir, creating it if missing, and removes what it created with its contents', async () => {
    const fixture = await makeTempDir();
    const root = join(fixture, 'not', 'yet');
    const volume = new TemporaryVolume({ hostDir: root });
    await volume.create();
    expect(volume.hostPath.startsWith(`${root}/`)).toBe(true);
    await writeFile(join(volume.hostPath, 'f.txt'), 'x');
    await volume.remove();
    await volume.remove();
    await expect(access(volume.hostPath)).rejects.toThrow();
    // The missing hostDir was created for the run: it goes; the folder that existed stays.
    await expect(access(join(fixture, 'not'))).rejects.toThrow();
    expect(await readdir(fixture)).toEqual([]);
  });

  it('keeps an existing hostDir and anything else in it', async () => {
    const root = await makeTempDir();
    await writeFile(join(root, 'mine.txt'), 'user data');
    const volume = new TemporaryVolume({ hostDir: root });
    await volume.create();
    await volume.remove();
    expect(await readdir(root)).toEqual(['mine.txt']);
  });

  it('keeps a hostDir created for it while another run still uses it', async () => {
    const root = join(await makeTempDir(), 'shared');
    const first = new TemporaryVolume({ hostDir: root });
    await first.create();
    const second = new TemporaryVolume({ hostDir: root });
    await second.create();
    await first.remove();
    expect((await stat(second.hostPath)).isDirectory()).toBe(true);
    await second.remove();
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it('has no paths before it is created, and the default placeholder never has its own', () => {
    expect(() => new TemporaryVolume().hostPath).toThrow('has not been created');
    expect(() => TemporaryVolume.default.containerPath).toThrow('resolve it in a run');
    expect(TemporaryVolume.default).toBe(TemporaryVolume.default);
  });

  it('gives two concurrent runs their own default volumes', async () => {
    const path = new VolumePath('out.txt');
    const runs = await Promise.all(
      [1, 2].map(async () => {
        const volume = new TemporaryVolume();
        await volume.create();
        const ctx = createTransformContext({ temporaryVolume: volume });
        const args = await transformArguments([TemporaryVolume.default, path], ctx);
        const host = path.hostPath(ctx);
        await args.cleanup();
        await volume.remove();
        return { args: args.values, host, volume };
      }),
    );
    const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(a.args[0]).not.toBe(b.args[0]);
    expect(a.host).not.toBe(b.host);
    expect(a.args[1]).toBe(`${a.args[0]}/out.txt`);
    expect(a.host).toBe(`${a.volume.hostPath}/out.txt`);
  });
});

describe('VolumePath', () => {
  it('is the container path in phase argument and the host path in phase result', async () => {
    const host = await makeTempDir();
    const data = new BindMountVolume(host, '/mnt/data');
    const run = new TemporaryVolume();
    await run.create();
    const ctx = createTransformContext({ temporaryVolume: run });
    const onData = new VolumePath('sub/../a.txt', data);
    const onTemp = new VolumePath('b/c.txt');
    expect(await onData.transform(ctx)).toBe('/mnt/data/a.txt');
    expect(await onData.transform(withPhase(ctx, 'result'))).toBe(`${host}/a.txt`);
    expect(await onTemp.transform(ctx)).toBe(`${run.containerPath}/b/c.txt`);
    expect(await onTemp.transform(withPhase(ctx, 'result'))).toBe(`${run.hostPath}/b/c.txt`);
    expect(resolveVolume(TemporaryVolume.default, ctx)).toBe(run);
    await run.remove();
  });

  it.each([
    ['/etc/passwd', 'it is absolute'],
    ['..', 'it leaves its volume'],
    ['a/../../b', 'it leaves its volume'],
    ['', 'it is empty'],
    ['a\0b', 'it contains a NUL byte'],
  ])('rejects %j (%s)', (filename, reason) => {
    expect(() => new VolumePath(filename)).toThrow(
      `filename: expected a relative path inside the volume (${reason})`,
    );
  });
});

describe('collectVolumes', () => {
  it('mounts listed, docker-style and discovered volumes and the run volume, each once', async () => {
    const run = new TemporaryVolume();
    await run.create();
    const data = new BindMountVolume('/srv/data', '/mnt/data', 'ro');
    const discovered = new BindMountVolume('/srv/other', '/mnt/other');
    const fromList = collectVolumes({
      volumes: [data],
      discoverIn: [new VolumePath('x', discovered), new VolumePath('y', data), TemporaryVolume.default],
      temporaryVolume: run,
    });
    expect(fromList.binds).toEqual([run.bind(), '/srv/data:/mnt/data:ro', '/srv/other:/mnt/other:rw']);
    const fromObject = collectVolumes({
      volumes: { '/home/data': { bind: '/mnt/docker/', mode: 'rw' } },
      temporaryVolume: run,
    });
    expect(fromObject.binds).toEqual([run.bind(), '/home/data:/mnt/docker/:rw']);
    await run.remove();
  });

  it('refuses two volumes on one container path', async () => {
    const run = new TemporaryVolume();
    await run.create();
    const error = (() => {
      try {
        collectVolumes({
          volumes: [new BindMountVolume('/a', '/mnt/x'), new BindMountVolume('/b', '/mnt/x/')],
          temporaryVolume: run,
        });
      } catch (e) {
        return e;
      }
    })();
    await run.remove();
    expect(isVolumeConflictError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'two volumes are mounted at /mnt/x: /a and /b; give each its own container path',
    );
  });

  it('validates a docker-style object field by field', async () => {
    const run = new TemporaryVolume();
    await run.create();
    expect(() => collectVolumes({ volumes: { '/a': { bind: 'rel' } }, temporaryVolume: run })).toThrow(
      'volumes./a.bind: expected an absolute container path, got "rel"',
    );
    expect(() =>
      collectVolumes({ volumes: { '/a': { bind: '/b', mode: 'rx' as 'ro' } }, temporaryVolume: run }),
    ).toThrow('volumes./a.mode: expected "rw" | "ro", got "rx"');
    await run.remove();
  });
});
