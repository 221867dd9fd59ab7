import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertNoLeaks,
  assertUnchanged,
  LOCAL_IMAGE,
  makeTempDir,
  snapshotFiles,
} from '@girder-worker/test-helpers';
import { BindMountVolume, TemporaryVolume, VolumePath } from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun } from '../src/index.ts';
import { HookOf } from './helpers.ts';

afterEach(() => assertNoLeaks());

describe('host folders created for a run are removed after it (issue 12 case 16)', () => {
  it('removes a missing BindMountVolume hostPath the run needed, keeps one that existed', async () => {
    const fixture = await makeTempDir();
    const missing = new BindMountVolume(join(fixture, 'made', 'for', 'run'), '/mnt/made');
    await mkdir(join(fixture, 'existing'));
    await writeFile(join(fixture, 'existing', 'user.txt'), 'user data\n');
    const existing = new BindMountVolume(join(fixture, 'existing'), '/mnt/existing');
    const before = await snapshotFiles(join(fixture, 'existing'));
    const out = new VolumePath('out.txt', missing);
    let seen = '';
    await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['sh', '-c', 'cat "$1" > "$0"', out, new VolumePath('user.txt', existing)],
      resultHooks: [
        new HookOf(async () => {
          seen = await readFile(join(fixture, 'made', 'for', 'run', 'out.txt'), 'utf8');
          return seen;
        }),
      ],
    });
    expect(seen).toBe('user data\n');
    expect(await readdir(fixture)).toEqual(['existing']);
    await assertUnchanged(before);
  });

  it('makes and removes a missing host folder or a temporary volume listed only in volumes', async () => {
    const fixture = await makeTempDir();
    const onlyListed = new BindMountVolume(join(fixture, 'listed'), '/mnt/listed');
    const scratch = new TemporaryVolume({ hostDir: fixture });
    const lines: string[] = [];
    await dockerRun({
      ...LOCAL_IMAGE,
      volumes: [onlyListed, scratch],
      // The run's own volume and the listed temporary one are both mounted under /mnt/girder_worker.
      containerArgs: ['sh', '-c', 'echo x > /mnt/listed/f.txt && ls /mnt/girder_worker | wc -l'],
      reporter: { log: (line) => lines.push(line.trim()), progress: () => {} },
    });
    expect(lines).toEqual(['2']);
    expect(await readdir(fixture)).toEqual([]);
  });

  it('removes a missing temporaryVolumeRoot it created, once empty', async () => {
    const fixture = await makeTempDir();
    await dockerRun({
      ...LOCAL_IMAGE,
      temporaryVolumeRoot: join(fixture, 'not', 'yet'),
      containerArgs: ['sh', '-c', 'echo x > "$0"', new VolumePath('f.txt')],
    });
    expect(await readdir(fixture)).toEqual([]);
  });
});
