import { chmod, mkdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertNoLeaks, assertUnchanged, diffSnapshot, makeTempDir, snapshotFiles } from '../src/index.ts';

describe('file snapshots', () => {
  it('passes for an untouched tree and names every kind of change', async () => {
    const dir = await makeTempDir();
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'a.txt'), 'a');
    await writeFile(join(dir, 'b.txt'), 'b');
    await symlink('/etc', join(dir, 'link'));
    const before = await snapshotFiles(dir);
    await assertUnchanged(before);
    await assertNoLeaks({ containers: false, unchanged: [before] });

    await writeFile(join(dir, 'sub', 'a.txt'), 'A');
    await chmod(join(dir, 'b.txt'), 0o600);
    await unlink(join(dir, 'link'));
    await writeFile(join(dir, 'new.txt'), 'n');
    const problems = await diffSnapshot(before);
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/changed .*sub\/a\.txt/);
    expect(problems.join('\n')).toMatch(/changed .*b\.txt: .*mode=6/);
    expect(problems.join('\n')).toMatch(/removed .*link/);
    expect(problems.join('\n')).toMatch(/added .*new\.txt/);
    await expect(assertUnchanged(before)).rejects.toThrow("outside the run's own paths changed");
    await expect(assertNoLeaks({ containers: false, unchanged: [before] })).rejects.toThrow(
      'outside the run: changed',
    );
  });
});
