// The broker, worker and revoke errors are members of girder-worker's error family
// (`GirderWorkerError` with a stable `GW_CELERY_*` code), each made where it is thrown for real,
// keep their names and fields, and never carry a broker password (message, cause or inspect).
import { inspect } from 'node:util';
import { freePort } from '@girder-worker/test-helpers';
import { GirderWorkerError } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import { parseKombuEnvelope } from '../src/brokers/kombu-envelope.ts';
import {
  BrokerConnectionError,
  CeleryBrokerError,
  createBroker,
  createCeleryWorker,
  InvalidBrokerUrlError,
  InvalidWorkerOptionsError,
  isBrokerConnectionError,
  isCeleryBrokerError,
  isInvalidBrokerUrlError,
  isInvalidWorkerOptionsError,
  isMalformedMessageError,
  isTaskRevokedError,
  isWorkerShutdownError,
  MalformedMessageError,
  TaskRevokedError,
  WorkerShutdownError,
} from '../src/index.ts';

const SECRET = 's3cret-pa55';

/** The rejection of `promise` (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

/** Everything a log of the error could show: its message, fields and causes. */
function shown(error: unknown): string {
  return inspect(error, { depth: 10, showHidden: true });
}

describe('broker errors', () => {
  it.each([
    ['redis', (port: number) => `redis://:${SECRET}@127.0.0.1:${port}/0`],
    ['amqp', (port: number) => `amqp://guest:${SECRET}@127.0.0.1:${port}//`],
  ])('an unreachable %s broker rejects with a BrokerConnectionError, its password masked', async (_, url) => {
    const port = await freePort();
    const error = await rejection(createBroker(url(port)));
    expect(error).toBeInstanceOf(BrokerConnectionError);
    expect(error).toBeInstanceOf(CeleryBrokerError);
    expect(error).toBeInstanceOf(GirderWorkerError);
    expect(error).toMatchObject({
      name: 'BrokerConnectionError',
      code: 'GW_CELERY_BROKER_CONNECTION',
      message: expect.stringContaining(`127.0.0.1:${port}`),
    });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(isBrokerConnectionError(error) && isCeleryBrokerError(error)).toBe(true);
    expect(isInvalidBrokerUrlError(error)).toBe(false);
    expect(shown(error)).not.toContain(SECRET);
  });

  it('a broker URL of another scheme rejects with an InvalidBrokerUrlError before connecting', async () => {
    const error = await rejection(createBroker(`ftp://user:${SECRET}@127.0.0.1:1/`));
    expect(error).toBeInstanceOf(InvalidBrokerUrlError);
    expect(error).toBeInstanceOf(GirderWorkerError);
    expect(error).toMatchObject({
      name: 'InvalidBrokerUrlError',
      code: 'GW_CELERY_INVALID_BROKER_URL',
      message: "broker URL: expected the scheme redis, rediss, amqp, amqps or pyamqp, got 'ftp'",
    });
    expect(isInvalidBrokerUrlError(error) && isCeleryBrokerError(error)).toBe(true);
    expect(shown(error)).not.toContain(SECRET);
  });

  it('an unreadable broker URL is an InvalidBrokerUrlError whose cause does not hold the URL', async () => {
    const error = await rejection(createBroker(`redis://:${SECRET}@[not-a-host/0`));
    expect(error).toBeInstanceOf(InvalidBrokerUrlError);
    expect(error).toMatchObject({ code: 'GW_CELERY_INVALID_BROKER_URL' });
    expect((error as Error).message).toContain('got an unreadable value');
    expect(shown(error)).not.toContain(SECRET);
  });

  it.each([
    [`redis://:${SECRET}@[not-a-host/0`, 'got an unreadable URL'],
    [`ftp://user:${SECRET}@127.0.0.1/`, "got the scheme 'ftp'"],
  ])(
    'a bad backend URL (%s) is an InvalidBrokerUrlError, before the broker connects',
    async (backend, says) => {
      const handler = async () => ({ status: 'SKIPPED', reason: '' }) as const;
      // The broker is unreachable: a BrokerConnectionError would mean it was tried first.
      const broker = `redis://127.0.0.1:${await freePort()}/0`;
      const error = await rejection(createCeleryWorker({ broker, backend, handler }));
      expect(error).toBeInstanceOf(InvalidBrokerUrlError);
      expect(error).toMatchObject({
        code: 'GW_CELERY_INVALID_BROKER_URL',
        message: expect.stringContaining(says),
      });
      expect(shown(error)).not.toContain(SECRET);
    },
  );

  it('a queue element that is not a kombu envelope is a MalformedMessageError', () => {
    let error: unknown;
    try {
      parseKombuEnvelope('{"body": 1}');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MalformedMessageError);
    expect(error).toBeInstanceOf(GirderWorkerError);
    expect(error).toMatchObject({ name: 'MalformedMessageError', code: 'GW_CELERY_MALFORMED_MESSAGE' });
    expect(isMalformedMessageError(error) && isCeleryBrokerError(error)).toBe(true);
  });

  it('the base class keeps Error’s constructor and has a code of its own', () => {
    const cause = new Error('underneath');
    const error = new CeleryBrokerError('broker trouble', { cause });
    expect(error).toBeInstanceOf(GirderWorkerError);
    expect(error).toMatchObject({
      name: 'CeleryBrokerError',
      code: 'GW_CELERY_BROKER',
      message: 'broker trouble',
    });
    expect(error.cause).toBe(cause);
    expect(new CeleryBrokerError().message).toBe('');
  });
});

describe('worker errors', () => {
  it('bad worker options reject with an InvalidWorkerOptionsError naming the option', async () => {
    const handler = async () => ({ status: 'SKIPPED', reason: '' }) as const;
    const port = await freePort();
    const error = await rejection(
      createCeleryWorker({ broker: `redis://:${SECRET}@127.0.0.1:${port}/0`, handler, concurrency: 0 }),
    );
    expect(error).toBeInstanceOf(InvalidWorkerOptionsError);
    expect(error).toBeInstanceOf(GirderWorkerError);
    expect(error).toMatchObject({
      name: 'InvalidWorkerOptionsError',
      code: 'GW_CELERY_INVALID_WORKER_OPTIONS',
      message: 'celery worker options.concurrency: expected an integer from 1 to 1000, got 0',
    });
    expect(isInvalidWorkerOptionsError(error)).toBe(true);
    expect(isCeleryBrokerError(error)).toBe(false);
    expect(shown(error)).not.toContain(SECRET);
  });

  it('the abort reasons keep their messages and fields', () => {
    const shutdown = new WorkerShutdownError('t-1');
    expect(shutdown).toBeInstanceOf(GirderWorkerError);
    expect(shutdown).toMatchObject({
      name: 'WorkerShutdownError',
      code: 'GW_CELERY_WORKER_SHUTDOWN',
      taskId: 't-1',
      message: 'task t-1 was cancelled because the worker is shutting down',
    });
    const revoked = new TaskRevokedError('t-2', true);
    expect(revoked).toBeInstanceOf(GirderWorkerError);
    expect(revoked).toMatchObject({
      name: 'TaskRevokedError',
      code: 'GW_CELERY_TASK_REVOKED',
      taskId: 't-2',
      terminate: true,
      message: 'task t-2 was revoked',
    });
    expect(isWorkerShutdownError(shutdown) && !isTaskRevokedError(shutdown)).toBe(true);
    expect(isTaskRevokedError(revoked) && !isWorkerShutdownError(revoked)).toBe(true);
  });
});

describe('the isXError guards', () => {
  it('recognise an error of another (or an older) copy of the package by its name', () => {
    const copy = (name: string, code: string) => Object.assign(new Error('x'), { name, code });
    // Before 0.2 the codes had no GW_CELERY_ prefix; the names are the same.
    expect(isCeleryBrokerError(copy('BrokerConnectionError', 'BROKER_CONNECTION'))).toBe(true);
    expect(isCeleryBrokerError(copy('CeleryBrokerError', 'CELERY_BROKER'))).toBe(true);
    expect(isInvalidBrokerUrlError(copy('InvalidBrokerUrlError', 'INVALID_BROKER_URL'))).toBe(true);
    expect(isInvalidWorkerOptionsError(copy('InvalidWorkerOptionsError', 'INVALID_WORKER_OPTIONS'))).toBe(
      true,
    );
    expect(isWorkerShutdownError(copy('WorkerShutdownError', 'WORKER_SHUTDOWN'))).toBe(true);
    expect(isTaskRevokedError(copy('TaskRevokedError', 'TASK_REVOKED'))).toBe(true);
    // And a renamed one by its code.
    expect(isTaskRevokedError(copy('Error', 'GW_CELERY_TASK_REVOKED'))).toBe(true);
  });

  it('refuse anything else', () => {
    for (const value of [
      new Error('task t was revoked'),
      new GirderWorkerError('GW_OTHER', 'x'),
      null,
      'x',
    ]) {
      expect(isCeleryBrokerError(value)).toBe(false);
      expect(isInvalidWorkerOptionsError(value)).toBe(false);
      expect(isWorkerShutdownError(value)).toBe(false);
      expect(isTaskRevokedError(value)).toBe(false);
    }
  });
});
