import { GirderWorkerError } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import {
  isJobCanceledError,
  isJobCancelledError,
  JobCanceledError,
  JobCancelledError,
} from '../src/index.ts';

describe('JobCancelledError', () => {
  it('is one of the error family, with a stable code and a guard', () => {
    const error = new JobCancelledError('65f0a1b2c3d4e5f601234567');
    expect(error).toBeInstanceOf(GirderWorkerError);
    expect(error.code).toBe('GW_JOB_CANCELLED');
    expect(error.message).toBe('Girder job 65f0a1b2c3d4e5f601234567 was cancelled');
    expect(isJobCancelledError(error)).toBe(true);
    expect(isJobCancelledError(new Error('cancelled'))).toBe(false);
  });

  it('keeps its former name as a deprecated alias, and knows errors of an older copy', () => {
    expect(JobCanceledError).toBe(JobCancelledError);
    expect(isJobCanceledError).toBe(isJobCancelledError);
    const old = Object.assign(new Error('Girder job 1 was canceled'), { code: 'GW_JOB_CANCELED' });
    expect(isJobCancelledError(old)).toBe(true);
  });
});
