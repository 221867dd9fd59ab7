import { readFile } from 'node:fs/promises';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';

afterEach(() => assertNoLeaks());

describe('README', () => {
  it('shows the example that this test runs, unchanged', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = await readFile(new URL('./fixtures/readme-example.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trimEnd());
  });

  it('runs the example: a docker_run message built and run by the handler, without a broker', async () => {
    await expect(import('./fixtures/readme-example.ts')).resolves.toBeDefined();
  });
});
