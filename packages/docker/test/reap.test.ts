import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertNoLeaks,
  assertUnchanged,
  makeTempDir,
  snapshotFiles,
  TEST_IMAGE,
  testDocker,
} from '@girder-worker/test-helpers';
import { TemporaryVolume } from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { reapOrphans } from '../src/index.ts';
import { runLabels } from '../src/labels.ts';

afterEach(() => assertNoLeaks());

describe('reapOrphans removes only what a run created (issue 12 case 5)', () => {
  it("keeps a user's girder_worker_* bind mount under /mnt/girder_worker, removes the run's own temporary volume", async () => {
    const base = await makeTempDir();
    // A user's data folder whose name and mount point look like a temporary volume's.
    const userData = join(base, 'girder_worker_userdata');
    await mkdir(userData);
    await writeFile(join(userData, 'results.csv'), 'years of work\n');
    const lookAlike = join(base, 'girder_worker_abc123');
    await mkdir(lookAlike);
    await writeFile(join(lookAlike, 'notes.txt'), 'mine\n');
    const runVolume = new TemporaryVolume({ hostDir: base });
    await runVolume.create();
    const before = [await snapshotFiles(userData), await snapshotFiles(lookAlike)];

    // The container of a worker that died: it wrote into the run's volume, read the user's data.
    const workerId = `reap-test-${randomUUID()}`;
    const container = await testDocker().createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sh', '-c', `cat /mnt/girder_worker/data/results.csv > ${runVolume.containerPath}/out.txt`],
      Labels: { ...runLabels(randomUUID(), workerId) },
      HostConfig: {
        NetworkMode: 'none',
        Binds: [
          runVolume.bind(),
          `${userData}:/mnt/girder_worker/data:ro`,
          `${lookAlike}:/mnt/girder_worker/0123456789abcdef0123456789abcdef:ro`,
        ],
      },
    });
    try {
      await container.start();
      expect(
        ((await container.wait({ condition: 'not-running' })) as { StatusCode: number }).StatusCode,
      ).toBe(0);
      const removed = await reapOrphans({
        docker: testDocker(),
        workers: [workerId],
        isWorkerAlive: () => false,
      });
      expect(removed).toEqual([container.id]);
    } finally {
      await container.remove({ force: true }).catch(() => {});
      await runVolume.remove();
    }
    await expect(access(runVolume.hostPath)).rejects.toThrow();
    expect((await readdir(base)).sort()).toEqual(['girder_worker_abc123', 'girder_worker_userdata']);
    await assertUnchanged(...before);
  });
});
