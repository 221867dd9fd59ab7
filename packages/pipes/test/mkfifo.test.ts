import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoLeaks, makeTempDir } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { isMkfifoError, isPipeError } from '../src/errors.ts';
import { mkfifo } from '../src/mkfifo.ts';

afterEach(() => assertNoLeaks({ containers: false }));

describe('mkfifo', () => {
  it('creates a FIFO with exactly the requested mode, whatever the umask', async () => {
    const dir = await makeTempDir();
    const previous = process.umask(0o077);
    try {
      await mkfifo(join(dir, 'open'), { mode: 0o666 });
    } finally {
      process.umask(previous);
    }
    await mkfifo(join(dir, 'private'));
    const open = await lstat(join(dir, 'open'));
    expect(open.isFIFO()).toBe(true);
    expect(open.mode & 0o777).toBe(0o666);
    expect((await lstat(join(dir, 'private'))).mode & 0o777).toBe(0o600);
  });

  it('fails with MkfifoError naming the path when it already exists', async () => {
    const dir = await makeTempDir();
    await mkfifo(join(dir, 'p'));
    const error = await mkfifo(join(dir, 'p')).catch((e: unknown) => e);
    expect(isMkfifoError(error)).toBe(true);
    expect(isPipeError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'GW_MKFIFO_FAILED', path: join(dir, 'p') });
    expect((error as Error).message).toMatch(/File exists/);
  });

  it('says clearly when the mkfifo command is missing', async () => {
    const dir = await makeTempDir();
    const error = await mkfifo(join(dir, 'p'), { command: 'mkfifo-that-does-not-exist' }).catch(
      (e: unknown) => e,
    );
    expect(isMkfifoError(error)).toBe(true);
    expect((error as Error).message).toContain(
      "the 'mkfifo-that-does-not-exist' command was not found on PATH",
    );
  });

  it('rejects with the abort reason and validates its options', async () => {
    const dir = await makeTempDir();
    const reason = new Error('cancelled');
    await expect(mkfifo(join(dir, 'p'), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(mkfifo(join(dir, 'p'), { mode: 0o10000 })).rejects.toThrow(
      /options\.mode: expected an integer/,
    );
    await expect(mkfifo('')).rejects.toThrow(/path: expected a non-empty string/);
  });
});
