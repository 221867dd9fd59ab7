import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@girder-worker/test-helpers';
import { GirderWorkerError } from '@girder-worker/transforms';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { TaskOutcome } from '../src/index.ts';
import { isWorkerShutdownError, publishRawMessage, WorkerShutdownError } from '../src/index.ts';
import { collector, redisClient } from './helpers.ts';
import {
  manualHandler,
  publisher,
  resetBroker,
  rpcResults,
  startWorker,
  TRANSPORTS,
  taskMessage,
  urlFor,
} from './worker-helpers.ts';

describe.each(TRANSPORTS)('celery worker on %s', (transport) => {
  beforeEach(() => resetBroker(transport));

  it('runs a docker_run message, sends its result to the rpc reply queue, then acknowledges it', async () => {
    const { started, handler } = manualHandler();
    await startWorker(transport, { handler, concurrency: 2 });
    const message = taskMessage();
    const results = await rpcResults(transport, message.replyTo);
    await publishRawMessage(await publisher(transport), 'celery', message);
    const run = await started.next();
    expect(run.taskId).toBe(message.id);
    expect(run.context.signal.aborted).toBe(false);
    if (transport === 'redis') {
      // Still recorded as unacknowledged while it runs.
      expect(await redisClient(urlFor('redis')).hlen('unacked')).toBe(1);
    }
    run.finish({ status: 'SUCCESS', result: [null] });
    const result = await results.next();
    expect(result.correlationId).toBe(message.id);
    expect(result.body).toEqual({
      task_id: message.id,
      status: 'SUCCESS',
      result: [null],
      traceback: null,
      children: [],
    });
    if (transport === 'redis') {
      const redis = redisClient(urlFor('redis'));
      await waitFor(async () => (await redis.hlen('unacked')) === 0, 'the ack');
      expect(await redis.llen('celery')).toBe(0);
    }
  });

  it('sends a FAILURE as Celery serializes exceptions, also when the handler throws', async () => {
    let calls = 0;
    await startWorker(transport, {
      handler: async () => {
        calls++;
        if (calls === 1)
          return {
            status: 'FAILURE',
            error: { type: 'DockerRunError', message: 'Non-zero exit code from docker container (3).' },
          };
        throw new RangeError('boom');
      },
    });
    const pub = await publisher(transport);
    for (const expected of [
      {
        exc_type: 'DockerRunError',
        exc_message: ['Non-zero exit code from docker container (3).'],
        exc_module: null,
      },
      { exc_type: 'RangeError', exc_message: ['boom'], exc_module: null },
    ]) {
      const message = taskMessage();
      const results = await rpcResults(transport, message.replyTo);
      await publishRawMessage(pub, 'celery', message);
      const { body } = await results.next();
      expect(body).toMatchObject({ task_id: message.id, status: 'FAILURE', result: expected });
      expect(body.traceback).toContain(expected.exc_type);
    }
  });

  it('treats an unregistered task as Celery does: not run, NotRegistered FAILURE, rejected', async () => {
    const { started, handler } = manualHandler();
    await startWorker(transport, { handler });
    const message = taskMessage(undefined, { task: 'some.other.task' });
    const results = await rpcResults(transport, message.replyTo);
    await publishRawMessage(await publisher(transport), 'celery', message);
    const { body } = await results.next();
    expect(body).toMatchObject({
      status: 'FAILURE',
      result: {
        exc_type: 'NotRegistered',
        exc_message: ["'some.other.task'"],
        exc_module: 'celery.exceptions',
      },
    });
    // The next registered message still runs: the worker went on.
    const next = taskMessage();
    await publishRawMessage(await publisher(transport), 'celery', next);
    const run = await started.next();
    expect(run.taskId).toBe(next.id);
    expect(started.items).toHaveLength(1);
    run.finish({ status: 'SUCCESS', result: null });
  });

  it('puts an unregistered task back on the queue with unknownTasks: requeue', async () => {
    const { handler } = manualHandler();
    const worker = await startWorker(transport, { handler, unknownTasks: 'requeue' });
    const message = taskMessage(undefined, { task: 'some.other.task' });
    await publishRawMessage(await publisher(transport), 'celery', message);
    if (transport === 'redis') {
      const redis = redisClient(urlFor('redis'));
      // It goes round (rejected, requeued as redelivered, taken again); close and it is back on the
      // queue, whether it was held, taken or waiting at that moment.
      const wentRound = async (): Promise<boolean> =>
        [...(await redis.lrange('celery', 0, -1)), ...(await redis.hvals('unacked'))].some((text) =>
          /"redelivered": ?true/.test(text),
        );
      await waitFor(wentRound, 'the requeued message');
      await worker.close();
      expect(await redis.llen('celery')).toBe(1);
    } else {
      await worker.close();
      const broker = await publisher(transport);
      const got = collector<unknown>();
      await broker.consume({ queues: ['celery'], prefetch: 1, onDelivery: got.push });
      expect(await got.next()).toMatchObject({ message: { headers: { task: 'some.other.task' } } });
    }
  });

  it('close() waits for the running task; close({ cancel }) aborts it and puts its message back', async () => {
    const { started, handler } = manualHandler();
    const worker = await startWorker(transport, { handler });
    const pub = await publisher(transport);
    const message = taskMessage();
    await publishRawMessage(pub, 'celery', message);
    const run = await started.next();
    let closed = false;
    const closing = worker.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    worker.close({ cancel: true });
    expect(run.context.signal.reason).toBeInstanceOf(WorkerShutdownError);
    expect(run.context.signal.reason).toBeInstanceOf(GirderWorkerError);
    expect(isWorkerShutdownError(run.context.signal.reason)).toBe(true);
    expect(run.context.signal.reason).toMatchObject({
      code: 'GW_CELERY_WORKER_SHUTDOWN',
      taskId: message.id,
    });
    run.finish({ status: 'REVOKED' });
    await closing;
    // Back on the queue for another worker, marked redelivered.
    const { started: again, handler: handler2 } = manualHandler();
    await startWorker(transport, { handler: handler2 });
    const second = await again.next();
    expect(second.taskId).toBe(run.taskId);
    second.finish({ status: 'SUCCESS', result: null });
  });

  it('redelivers the message of a worker killed mid-run (SIGKILL) and it finishes once', async () => {
    const marks = join(tmpdir(), `marks-${process.pid}-${transport}`);
    writeFileSync(marks, '');
    onTestFinished(() => rmSync(marks, { force: true }));
    const child = spawn(
      process.execPath,
      [new URL('./fixtures/worker-hanging.ts', import.meta.url).pathname],
      {
        env: { ...process.env, GW_BROKER_URL: urlFor(transport), GW_MARK_FILE: marks },
        stdio: 'ignore',
      },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    await waitFor(() => readFileSync(marks, 'utf8').includes('ready'), 'the child worker');
    const message = taskMessage();
    await publishRawMessage(await publisher(transport), 'celery', message);
    await waitFor(
      () => readFileSync(marks, 'utf8').includes(`started ${message.id}`),
      'the child to start the task',
    );
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const finished = collector<{ taskId: string; redelivered: boolean | undefined }>();
    const results = await rpcResults(transport, message.replyTo);
    await startWorker(transport, {
      visibilityTimeoutMs: 1000,
      handler: async (msg, { taskId }) => {
        finished.push({ taskId, redelivered: msg.properties.redelivered });
        return { status: 'SUCCESS', result: 'once' };
      },
    });
    expect(await finished.next()).toEqual({ taskId: message.id, redelivered: true });
    expect((await results.next()).body).toMatchObject({
      task_id: message.id,
      status: 'SUCCESS',
      result: 'once',
    });
    expect(readFileSync(marks, 'utf8').match(/started /g)).toHaveLength(1);
    if (transport === 'redis') {
      const redis = redisClient(urlFor('redis'));
      await waitFor(async () => (await redis.hlen('unacked')) === 0, 'the ack');
      expect(await redis.llen('celery')).toBe(0);
    }
    expect(finished.items).toHaveLength(1);
  });

  it('aborts a task that runs past the hard time limit of its timelimit header', async () => {
    const { started, handler } = manualHandler();
    await startWorker(transport, { handler });
    const message = taskMessage(undefined, { timelimit: [0.2, null] });
    const results = await rpcResults(transport, message.replyTo);
    await publishRawMessage(await publisher(transport), 'celery', message);
    const run = await started.next();
    await waitFor(() => run.context.signal.aborted, 'the time limit');
    expect(run.context.signal.reason).toMatchObject({ name: 'TaskTimeLimitError', seconds: 0.2 });
    run.finish({ status: 'REVOKED' });
    expect((await results.next()).body).toMatchObject({
      status: 'FAILURE',
      result: { exc_type: 'TimeLimitExceeded' },
    });
  });

  it('handles an expired message (expires header in the past) as revoked: not run, REVOKED stored', async () => {
    const { started, handler } = manualHandler();
    await startWorker(transport, { handler });
    const message = taskMessage(undefined, { expires: new Date(Date.now() - 60_000).toISOString() });
    const results = await rpcResults(transport, message.replyTo);
    await publishRawMessage(await publisher(transport), 'celery', message);
    const run = await started.next();
    expect(run.abortedAtStart).toBe(true);
    expect(run.context.signal.reason).toMatchObject({ name: 'TaskRevokedError', taskId: message.id });
    run.finish({ status: 'REVOKED' });
    expect((await results.next()).body).toMatchObject({ task_id: message.id, status: 'REVOKED' });
  });

  it('does not store a result for ignore_result, nor for a SKIPPED run', async () => {
    const outcomes: TaskOutcome[] = [
      { status: 'SKIPPED', reason: 'job already final' },
      { status: 'SUCCESS', result: 1 },
      { status: 'SUCCESS', result: 2 },
    ];
    await startWorker(transport, { handler: async () => outcomes.shift() as TaskOutcome });
    const pub = await publisher(transport);
    const replyTo = taskMessage().replyTo;
    const results = await rpcResults(transport, replyTo);
    await publishRawMessage(pub, 'celery', { ...taskMessage(), properties: { replyTo } });
    await publishRawMessage(pub, 'celery', {
      ...taskMessage(undefined, { ignore_result: true }),
      properties: { replyTo },
    });
    await publishRawMessage(pub, 'celery', { ...taskMessage(), properties: { replyTo } });
    expect((await results.next()).body).toMatchObject({ status: 'SUCCESS', result: 2 });
  });
});

describe('celery worker options', () => {
  it('refuses an unknown option and a bad concurrency, naming them, before connecting', async () => {
    const { createCeleryWorker } = await import('../src/index.ts');
    const handler = async () => ({ status: 'SKIPPED', reason: '' }) as const;
    await expect(
      createCeleryWorker({ broker: 'redis://127.0.0.1:1/0', handler, concurency: 2 } as never),
    ).rejects.toMatchObject({
      code: 'GW_CELERY_INVALID_WORKER_OPTIONS',
      message: expect.stringContaining('options.concurency: expected no such option'),
    });
    await expect(
      createCeleryWorker({ broker: 'redis://127.0.0.1:1/0', handler, concurrency: 0 }),
    ).rejects.toThrow('options.concurrency: expected an integer from 1 to 1000, got 0');
  });
});
