import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertNoLeaks, LOCAL_IMAGE, makeTempDir } from '@girder-worker/test-helpers';
import { BindMountVolume, TemporaryVolume, VolumePath } from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun } from '../src/index.ts';
import { collectingReporter, HookOf } from './helpers.ts';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

afterEach(() => assertNoLeaks());

describe('volumes', () => {
  it('mounts a read-only fixture folder and reads a file from it', async () => {
    const reporter = collectingReporter();
    const fixture = new BindMountVolume(join(fixtures, 'readonly'), '/mnt/fixture', 'ro');
    await dockerRun({
      ...LOCAL_IMAGE,
      volumes: [fixture],
      containerArgs: [
        'sh',
        '-c',
        'cat "$0"; touch /mnt/fixture/x 2>/dev/null || echo read-only',
        new VolumePath('data.txt', fixture),
      ],
      reporter,
    });
    expect(reporter.stdout()).toEqual(['fixture contents', 'read-only']);
  });

  it('accepts docker-style volumes', async () => {
    const reporter = collectingReporter();
    await dockerRun({
      ...LOCAL_IMAGE,
      volumes: { [join(fixtures, 'readonly')]: { bind: '/mnt/docker', mode: 'ro' } },
      containerArgs: ['cat', '/mnt/docker/data.txt'],
      reporter,
    });
    expect(reporter.stdout()).toEqual(['fixture contents']);
  });

  it('makes a temporary volume under the given root and removes it', async () => {
    const root = await makeTempDir();
    const scratch = new TemporaryVolume({ hostDir: root });
    let seen = '';
    await dockerRun({
      ...LOCAL_IMAGE,
      temporaryVolumeRoot: root,
      containerArgs: ['sh', '-c', 'echo x > "$0/f"', scratch],
      resultHooks: [
        new HookOf(async () => {
          seen = scratch.hostPath;
          return (await readdir(root)).length;
        }),
      ],
    });
    expect(seen.startsWith(`${root}/`)).toBe(true);
    expect(await readdir(root)).toEqual([]);
  });
});
