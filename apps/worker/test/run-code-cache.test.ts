import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_IMAGE } from '@girder-worker/test-helpers/docker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

// `girder-worker run` compiles its bundle with a V8 code cache of its own, written after a run into
// Node's compile cache directory (NODE_COMPILE_CACHE points it at a folder of the test's).

let cacheRoot: string;
beforeEach(() => {
  cacheRoot = mkdtempSync(join(tmpdir(), 'gw-code-cache-'));
});
afterEach(() => {
  rmSync(cacheRoot, { recursive: true, force: true });
});

const run = (word: string) =>
  runCli(['run', '--image', TEST_IMAGE, '--no-pull', '--', 'echo', word], {
    // The test run turns compile caches off (global setup); these runs turn them on again.
    env: { NODE_COMPILE_CACHE: cacheRoot, NODE_DISABLE_COMPILE_CACHE: undefined },
  });

/** The cache files the loader wrote (`<root>/<node version dir>/girder-worker/cli-run-*.v8`). */
function cacheFiles(): string[] {
  return readdirSync(cacheRoot, { recursive: true, encoding: 'utf8' })
    .filter((p) => /(^|\/)girder-worker\/cli-run-[^/]+\.v8$/.test(p))
    .map((p) => join(cacheRoot, p));
}

/** Runs once so that the cache exists; returns its path. */
async function warm(): Promise<string> {
  const first = await run('first');
  expect(first.code).toBe(0);
  const files = cacheFiles();
  expect(files).toHaveLength(1);
  return files[0] as string;
}

describe('girder-worker run: its code cache', () => {
  it('is written after the first run, private to this user, and used by the next', async () => {
    const file = await warm();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    const before = statSync(file);
    const second = await run('second');
    expect(second).toMatchObject({ code: 0, stdout: 'second\n' });
    // Accepted, so not written again.
    const after = statSync(file);
    expect([after.ino, after.mtimeMs, after.size]).toEqual([before.ino, before.mtimeMs, before.size]);
    expect(cacheFiles()).toEqual([file]);
  });

  it('is made again when V8 refuses it, and the run is unaffected', async () => {
    const file = await warm();
    writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
    const again = await run('again');
    expect(again).toMatchObject({ code: 0, stdout: 'again\n' });
    expect(readFileSync(file).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(statSync(file).size).toBeGreaterThan(4096);
  });

  it('ignores a cache others may write (valid or not), and replaces it with a private one', async () => {
    const file = await warm();
    // A good cache: used, it would be kept as it is.
    chmodSync(file, 0o666);
    const before = statSync(file);
    const again = await run('again');
    expect(again).toMatchObject({ code: 0, stdout: 'again\n' });
    const after = statSync(file);
    expect(after.mode & 0o777).toBe(0o600);
    expect(after.ino).not.toBe(before.ino);
  });

  it('never follows a link put in its place: the link is replaced, its target left as it was', async () => {
    const file = await warm();
    // A good cache behind the link: followed, it would be used and the link kept.
    const target = join(cacheRoot, 'elsewhere.bin');
    const good = readFileSync(file);
    writeFileSync(target, good);
    rmSync(file);
    symlinkSync(target, file);
    const again = await run('again');
    expect(again).toMatchObject({ code: 0, stdout: 'again\n' });
    expect(readFileSync(target).equals(good)).toBe(true);
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(lstatSync(file).isFile()).toBe(true);
  });

  it('is neither read nor written with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    const result = await runCli(['run', '--image', TEST_IMAGE, '--no-pull', '--', 'echo', 'off'], {
      env: { NODE_COMPILE_CACHE: cacheRoot, NODE_DISABLE_COMPILE_CACHE: '1' },
    });
    expect(result).toMatchObject({ code: 0, stdout: 'off\n' });
    expect(cacheFiles()).toEqual([]);
  });
});
