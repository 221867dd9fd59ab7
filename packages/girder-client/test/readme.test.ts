import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';

// The README's example, run as written, with the package's own imports pointed at this checkout.
describe('README', () => {
  it('runs its example against the test server and prints what its comments say', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(example).toContain('createGirderClient');
    const script = example
      .replace("'@girder-worker/girder-client'", `'${new URL('../src/index.ts', import.meta.url).href}'`)
      .replace(
        "'@girder-worker/girder-test-server'",
        `'${import.meta.resolve('@girder-worker/girder-test-server')}'`,
      );
    const path = join(await makeTempDir(), 'example.ts');
    await writeFile(path, script);
    const { stdout } = await promisify(execFile)(process.execPath, [path]);
    expect(stdout).toBe('hello, Girder\nhello.txt 14\n');
  });
});
