import { waitFor } from '@girder-worker/test-helpers';
import { GirderWorkerError } from '@girder-worker/transforms';
import { beforeEach, describe, expect, it } from 'vitest';
import { DOCKER_RUN_TASK, isTaskRevokedError, publishRawMessage, TaskRevokedError } from '../src/index.ts';
import { readFixture, readFixtureText } from './helpers.ts';
import {
  mailboxClient,
  manualHandler,
  publisher,
  resetBroker,
  rpcResults,
  startWorker,
  TRANSPORTS,
  taskMessage,
} from './worker-helpers.ts';

/** The captured revoke broadcast of each broker and the task id it names. */
function revokeFixture(transport: 'redis' | 'amqp'): { payload: string; taskId: string } {
  if (transport === 'redis') {
    const payload = readFixtureText('revoke.redis.json');
    const decoded = readFixture<{ envelope: { body: { arguments: { task_id: string } } } }>(
      'revoke.redis.decoded.json',
    );
    return { payload, taskId: decoded.envelope.body.arguments.task_id };
  }
  const fixture = readFixture<{ body: string }>('revoke.amqp.json');
  return {
    payload: fixture.body,
    taskId: (JSON.parse(fixture.body) as { arguments: { task_id: string } }).arguments.task_id,
  };
}

describe.each(TRANSPORTS)('control over the %s pidbox mailbox', (transport) => {
  beforeEach(() => resetBroker(transport));

  it('acks a task revoked by the captured broadcast before it started, never running it', async () => {
    const { started, handler } = manualHandler();
    const worker = await startWorker(transport, { handler });
    const mailbox = await mailboxClient(transport);
    const { payload, taskId } = revokeFixture(transport);
    await mailbox.sendRaw(payload);
    // Requests are handled in order: once ping is answered, the revoke was taken in.
    expect(await mailbox.call('ping', {}, { destination: [worker.nodeName] })).toEqual([
      { [worker.nodeName]: { ok: 'pong' } },
    ]);
    const message = taskMessage(taskId);
    const results = await rpcResults(transport, message.replyTo);
    await publishRawMessage(await publisher(transport), 'celery', message);
    const run = await started.next();
    // The handler is only told (to report the cancel to Girder): its signal is already aborted.
    expect(run.abortedAtStart).toBe(true);
    expect(run.context.signal.reason).toBeInstanceOf(TaskRevokedError);
    expect(run.context.signal.reason).toMatchObject({
      taskId,
      terminate: false,
      code: 'GW_CELERY_TASK_REVOKED',
    });
    run.finish({ status: 'REVOKED' });
    expect((await results.next()).body).toMatchObject({
      task_id: taskId,
      status: 'REVOKED',
      result: { exc_type: 'TaskRevokedError', exc_module: 'celery.exceptions' },
    });
    await waitFor(() => worker.active().length === 0, 'the run to settle');
  });

  it.each([false, true])(
    'aborts a running task on revoke (terminate %s) and answers as Celery',
    async (terminate) => {
      const { started, handler } = manualHandler();
      const worker = await startWorker(transport, { handler });
      const mailbox = await mailboxClient(transport);
      const message = taskMessage();
      await publishRawMessage(await publisher(transport), 'celery', message);
      const run = await started.next();
      expect(run.abortedAtStart).toBe(false);
      const replies = await mailbox.call('revoke', { task_id: [message.id], terminate, signal: 'SIGTERM' });
      expect(replies).toEqual([
        {
          [worker.nodeName]: {
            ok: terminate ? `terminate: ${message.id}` : `tasks {'${message.id}'} flagged as revoked`,
          },
        },
      ]);
      expect(run.context.signal.aborted).toBe(true);
      expect(run.context.signal.reason).toMatchObject({
        name: 'TaskRevokedError',
        code: 'GW_CELERY_TASK_REVOKED',
        message: `task ${message.id} was revoked`,
        taskId: message.id,
        terminate,
      });
      expect(run.context.signal.reason).toBeInstanceOf(GirderWorkerError);
      expect(isTaskRevokedError(run.context.signal.reason)).toBe(true);
      run.finish({ status: 'REVOKED' });
      await waitFor(() => worker.active().length === 0, 'the run to settle');
    },
  );

  it('obeys only requests whose destination names it', async () => {
    const { started, handler } = manualHandler();
    const worker = await startWorker(transport, { handler });
    const mailbox = await mailboxClient(transport);
    const message = taskMessage();
    await publishRawMessage(await publisher(transport), 'celery', message);
    const run = await started.next();
    await mailbox.cast('revoke', { task_id: message.id }, ['celery@elsewhere']);
    // Handled in order: once our ping is answered, the revoke for another node was seen and ignored.
    expect(await mailbox.call('ping', {}, { destination: [worker.nodeName] })).toHaveLength(1);
    expect(run.context.signal.aborted).toBe(false);
    expect(worker.active()).toHaveLength(1);
    expect(
      await mailbox.call(
        'revoke',
        { task_id: message.id },
        { destination: ['celery@elsewhere', worker.nodeName] },
      ),
    ).toHaveLength(1);
    expect(run.context.signal.aborted).toBe(true);
    run.finish({ status: 'REVOKED' });
  });

  it('answers ping, registered, active, stats, revoked and unknown commands in Celery shapes', async () => {
    const { started, handler } = manualHandler();
    const worker = await startWorker(transport, { handler, concurrency: 2 });
    const mailbox = await mailboxClient(transport);
    const node = worker.nodeName;
    const ask = async (method: string, args: Record<string, unknown> = {}) => {
      const replies = await mailbox.call(method, args, { destination: [node] });
      expect(replies).toHaveLength(1);
      return (replies[0] as Record<string, unknown>)[node];
    };
    expect(await ask('ping')).toEqual({ ok: 'pong' });
    expect(await ask('registered')).toEqual([DOCKER_RUN_TASK]);
    expect(await ask('active')).toEqual([]);
    const message = taskMessage();
    await publishRawMessage(await publisher(transport), 'celery', message);
    const run = await started.next();
    const [active] = (await ask('active')) as Record<string, unknown>[];
    expect(active).toMatchObject({
      id: message.id,
      name: DOCKER_RUN_TASK,
      type: DOCKER_RUN_TASK,
      args: "('my/image',)",
      hostname: node,
      acknowledged: false,
      delivery_info: { routing_key: 'celery', redelivered: false },
      worker_pid: process.pid,
    });
    expect(JSON.stringify(active)).not.toContain('environment');
    const stats = (await ask('stats')) as Record<string, unknown>;
    expect(stats).toMatchObject({
      total: { [DOCKER_RUN_TASK]: 1 },
      pid: process.pid,
      pool: { 'max-concurrency': 2 },
      broker: { transport },
      prefetch_count: 2,
    });
    expect(typeof stats.clock).toBe('string');
    expect(await ask('revoke', { task_id: 'not-running' })).toEqual({
      ok: "tasks {'not-running'} flagged as revoked",
    });
    expect(await ask('revoked')).toEqual(['not-running']);
    expect(await ask('no_such_thing')).toEqual({ error: 'No such control command: no_such_thing' });
    run.finish({ status: 'SUCCESS', result: null });
  });
});
