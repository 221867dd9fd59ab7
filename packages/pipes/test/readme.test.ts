import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => assertNoLeaks({ containers: false }));

describe('README', () => {
  it('shows the example that this test runs, unchanged', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = await readFile(new URL('./fixtures/readme-example.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trimEnd());
  });

  it('runs the example: a file streamed into sha256sum through a FIFO, checksum and size exact', async () => {
    const hash = createHash('sha256');
    await pipeline(createReadStream(process.execPath), hash);
    const expected = hash.digest('hex');
    const { size } = await stat(process.execPath);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
    try {
      await import('./fixtures/readme-example.ts');
    } finally {
      log.mockRestore();
    }
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(new RegExp(`^${size} bytes streamed through \\S+/input, sha256 ${expected}$`));
  });
});
