import {
  BrokerConnectionError,
  InvalidBrokerUrlError,
  InvalidWorkerOptionsError,
  TaskRevokedError,
  WorkerShutdownError,
} from '@girder-worker/celery';
import { JobCancelledError } from '@girder-worker/girder';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf } from '../src/exit-codes.ts';
import {
  asRunCancelled,
  decodeRunFailure,
  encodeRunFailure,
  isCancellation,
  isRunCancelledError,
  RunCancelledError,
  RunFailedError,
} from '../src/index.ts';

describe('the cancellation family', () => {
  it('recognises the app’s RunCancelledError and Girder’s JobCancelledError, nothing else', () => {
    expect(isCancellation(new RunCancelledError('SIGINT received'))).toBe(true);
    expect(isCancellation(new JobCancelledError('65f0a1b2c3d4e5f601234567'))).toBe(true);
    expect(isCancellation(new RunFailedError('1', 'exited with code 3'))).toBe(false);
    expect(isCancellation(new Error('cancelled'))).toBe(false);
    // An older copy of @girder-worker/girder threw it as JobCanceledError (GW_JOB_CANCELED).
    const old = Object.assign(new Error('Girder job 1 was canceled'), { name: 'JobCanceledError' });
    expect(isCancellation(old)).toBe(true);
  });

  it('turns a Girder job cancel into a RunCancelledError that keeps the Girder error as cause', () => {
    const girder = new JobCancelledError('65f0a1b2c3d4e5f601234567');
    const cancelled = asRunCancelled(girder);
    expect(isRunCancelledError(cancelled)).toBe(true);
    expect(cancelled?.reason).toBe('the Girder job was cancelled');
    expect(cancelled?.cause).toBe(girder);
  });

  it('names the signal’s reason when the run’s signal was aborted, and leaves other failures alone', () => {
    const controller = new AbortController();
    const failure = new Error('container killed');
    expect(asRunCancelled(failure, controller.signal)).toBeUndefined();
    controller.abort('cancelled by request');
    const cancelled = asRunCancelled(failure, controller.signal);
    expect(cancelled?.reason).toBe('cancelled by request');
    expect(cancelled?.cause).toBe(failure);
    const already = new RunCancelledError('SIGTERM received');
    expect(asRunCancelled(already, controller.signal)).toBe(already);
  });
});

describe('run failures in the queue', () => {
  it('records a code with the message and reads both back', () => {
    for (const code of ['GW_RUN_CANCELLED', 'GW_BAD_INPUT', 'GW_RUN_FAILED'] as const) {
      const recorded = encodeRunFailure({ code, message: 'why: it broke' });
      expect(decodeRunFailure(recorded)).toEqual({ code, message: 'why: it broke' });
    }
  });

  it('reads a reason BullMQ wrote itself (no code) as GW_RUN_FAILED', () => {
    expect(decodeRunFailure('job stalled more than allowable limit')).toEqual({
      code: 'GW_RUN_FAILED',
      message: 'job stalled more than allowable limit',
    });
    expect(decodeRunFailure('GW_NOT_OURS: x')).toEqual({ code: 'GW_RUN_FAILED', message: 'GW_NOT_OURS: x' });
  });
});

describe('the exit code of a celery error', () => {
  it('is 2 for a refused broker URL or worker option, 1 for an unreachable broker and the abort reasons', () => {
    expect(exitCodeOf(new InvalidBrokerUrlError("broker URL: got 'ftp'"))).toBe(EXIT.badInput);
    expect(exitCodeOf(new InvalidWorkerOptionsError('options.concurrency: got 0'))).toBe(EXIT.badInput);
    // An older copy of @girder-worker/celery (codes without GW_CELERY_) by its name.
    const old = Object.assign(new Error('x'), { name: 'InvalidBrokerUrlError', code: 'INVALID_BROKER_URL' });
    expect(exitCodeOf(old)).toBe(EXIT.badInput);
    expect(exitCodeOf(new BrokerConnectionError('cannot connect'))).toBe(EXIT.failed);
    expect(exitCodeOf(new TaskRevokedError('t', false))).toBe(EXIT.failed);
    expect(exitCodeOf(new WorkerShutdownError('t'))).toBe(EXIT.failed);
  });
});
