import { assertNoLeaks, LOCAL_IMAGE } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dockerRun,
  isDockerRunError,
  isPolicyViolationError,
  isRunTimeoutError,
  parseRunPolicy,
} from '../src/index.ts';
import { HookOf } from './helpers.ts';

afterEach(() => assertNoLeaks());

describe('timeoutMs', () => {
  it('stops a container that runs past its limit and fails as timed out, leaving nothing behind', async () => {
    const seen: string[] = [];
    const hook = new (class extends HookOf<void> {
      override exception(_ctx: unknown, error: unknown): void {
        seen.push((error as Error).name);
      }
    })(() => {
      seen.push('transform');
    });
    const error = await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['sleep', '60'],
      timeoutMs: 300,
      stopGraceMs: 500,
      resultHooks: [hook],
    }).catch((e: unknown) => e);
    expect(isRunTimeoutError(error)).toBe(true);
    expect(isDockerRunError(error)).toBe(false);
    const e = error as { code: string; timeoutMs: number; message: string };
    expect(e.code).toBe('GW_RUN_TIMED_OUT');
    expect(e.timeoutMs).toBe(300);
    expect(e.message).toMatch(/^container [0-9a-f]{12} of image '.+' timed out after 300 ms and was stopped/);
    expect(seen).toEqual(['RunTimeoutError']);
  });

  it('does not touch a run that ends within its limit', async () => {
    const result = await dockerRun({ ...LOCAL_IMAGE, containerArgs: ['true'], timeoutMs: 600_000 });
    expect(result.exitCode).toBe(0);
  });

  it('takes the policy’s limit as default and ceiling', async () => {
    const policy = parseRunPolicy({ images: ['girder-worker-test/*'], timeoutMs: 300 });
    const tooLong = await dockerRun({
      ...LOCAL_IMAGE,
      policy,
      containerArgs: ['true'],
      timeoutMs: 1000,
    }).catch((e: unknown) => e);
    expect(isPolicyViolationError(tooLong)).toBe(true);
    expect((tooLong as Error).message).toBe(
      'timeoutMs: expected at most 300 (the limit set by the worker policy), got 1000',
    );
    const byDefault = await dockerRun({
      ...LOCAL_IMAGE,
      policy,
      containerArgs: ['sleep', '60'],
      stopGraceMs: 500,
    }).catch((e: unknown) => e);
    expect(isRunTimeoutError(byDefault)).toBe(true);
    expect((byDefault as { timeoutMs: number }).timeoutMs).toBe(300);
  });
});
