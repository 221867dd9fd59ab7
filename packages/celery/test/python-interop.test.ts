import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@girder-worker/test-helpers';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { TaskOutcome } from '../src/index.ts';
import { DOCKER_RUN_TASK, publishRawMessage } from '../src/index.ts';
import { collector, redisClient } from './helpers.ts';
import {
  manualHandler,
  publisher,
  resetBroker,
  startWorker,
  TRANSPORTS,
  taskMessage,
  urlFor,
} from './worker-helpers.ts';

const run = promisify(execFile);
const CLIENT = new URL('./fixtures/celery_client.py', import.meta.url).pathname;

/** Runs the real Python Celery client (Debian's python3-celery 5.2) with one command. */
async function python(command: Record<string, unknown>): Promise<unknown> {
  const { stdout } = await run('/usr/bin/python3', [CLIENT, JSON.stringify(command)], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string);
}

describe.each(TRANSPORTS)('Python Celery against our worker on %s', (transport) => {
  beforeEach(() => resetBroker(transport));

  it('celery inspect lists our worker: ping, registered, active, stats', async () => {
    const { started, handler } = manualHandler();
    const worker = await startWorker(transport, { handler });
    const broker = urlFor(transport);
    const node = worker.nodeName;
    expect(await python({ op: 'inspect', broker, method: 'ping', destination: [node] })).toEqual({
      [node]: { ok: 'pong' },
    });
    expect(await python({ op: 'inspect', broker, method: 'registered', destination: [node] })).toEqual({
      [node]: [DOCKER_RUN_TASK],
    });
    const message = taskMessage();
    await publishRawMessage(await publisher(transport), 'celery', message);
    const run = await started.next();
    const active = (await python({ op: 'inspect', broker, method: 'active', destination: [node] })) as Record<
      string,
      { id: string }[]
    >;
    expect(active[node]?.map((t) => t.id)).toEqual([message.id]);
    const stats = (await python({ op: 'inspect', broker, method: 'stats', destination: [node] })) as Record<
      string,
      { total: unknown }
    >;
    expect(stats[node]?.total).toEqual({ [DOCKER_RUN_TASK]: 1 });
    run.finish({ status: 'SUCCESS', result: null });
  });

  it("Girder's worker status page (report, stats, ping, active, reserved) lists our worker", async () => {
    const { handler } = manualHandler();
    const worker = await startWorker(transport, { handler });
    const node = worker.nodeName;
    const status = (await python({ op: 'girder_status', broker: urlFor(transport) })) as Record<
      string,
      Record<string, unknown>
    >;
    expect(status.ping?.[node]).toEqual({ ok: 'pong' });
    expect(status.report?.[node]).toEqual({ ok: expect.stringContaining(`node -> ${node}`) });
    expect(status.stats?.[node]).toMatchObject({ pid: process.pid, prefetch_count: 1 });
    expect(status.active?.[node]).toEqual([]);
    expect(status.reserved?.[node]).toEqual([]);
  });

  it("a Python caller's AsyncResult.get() returns our result (rpc backend), and our failure raises", async () => {
    const outcomes: TaskOutcome[] = [
      { status: 'SUCCESS', result: [null, 'done'] },
      {
        status: 'FAILURE',
        error: { type: 'DockerRunError', message: 'Non-zero exit code from docker container (2).' },
      },
    ];
    await startWorker(transport, { handler: async () => outcomes.shift() as TaskOutcome });
    const call = { op: 'call', broker: urlFor(transport), task: DOCKER_RUN_TASK, args: ['my/image'] };
    expect(await python(call)).toEqual({ result: [null, 'done'], state: 'SUCCESS' });
    expect(await python(call)).toEqual({
      error: 'DockerRunError',
      args: ['Non-zero exit code from docker container (2).'],
      state: 'FAILURE',
    });
  });

  it('a Python revoke(terminate=True) aborts our running task', async () => {
    const { started, handler } = manualHandler();
    await startWorker(transport, { handler });
    const message = taskMessage();
    await publishRawMessage(await publisher(transport), 'celery', message);
    const run = await started.next();
    await python({ op: 'revoke', broker: urlFor(transport), task_id: message.id, terminate: true });
    await waitFor(() => run.context.signal.aborted, 'the abort');
    expect(run.context.signal.reason).toMatchObject({
      name: 'TaskRevokedError',
      taskId: message.id,
      terminate: true,
    });
    run.finish({ status: 'REVOKED' });
  });
});

describe('Python Celery and our worker share the Redis results and unacked records', () => {
  beforeEach(() => resetBroker('redis'));

  it('AsyncResult.get() on a Redis result backend returns our result', async () => {
    const backend = urlFor('redis').replace(/\/\d+$/, '/3');
    await redisClient(backend).flushdb();
    await startWorker('redis', { backend, handler: async () => ({ status: 'SUCCESS', result: { ok: 1 } }) });
    const taskId = randomUUID();
    const out = await python({
      op: 'call',
      broker: urlFor('redis'),
      backend,
      task: DOCKER_RUN_TASK,
      task_id: taskId,
    });
    expect(out).toEqual({ result: { ok: 1 }, state: 'SUCCESS' });
    const stored = JSON.parse((await redisClient(backend).get(`celery-task-meta-${taskId}`)) as string);
    expect(Object.keys(stored)).toEqual([
      'status',
      'result',
      'traceback',
      'children',
      'date_done',
      'task_id',
    ]);
    expect(await redisClient(backend).ttl(`celery-task-meta-${taskId}`)).toBeGreaterThan(86_000);
  });

  it('kombu restores a message our killed worker left in unacked', async () => {
    const marks = join(tmpdir(), `marks-${process.pid}-restore`);
    writeFileSync(marks, '');
    onTestFinished(() => rmSync(marks, { force: true }));
    const child = spawn(
      process.execPath,
      [new URL('./fixtures/worker-hanging.ts', import.meta.url).pathname],
      {
        env: { ...process.env, GW_BROKER_URL: urlFor('redis'), GW_MARK_FILE: marks },
        stdio: 'ignore',
      },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    await waitFor(() => readFileSync(marks, 'utf8').includes('ready'), 'the child worker');
    const message = taskMessage();
    await publishRawMessage(await publisher('redis'), 'celery', message);
    await waitFor(
      () => readFileSync(marks, 'utf8').includes(`started ${message.id}`),
      'the child to start it',
    );
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const redis = redisClient(urlFor('redis'));
    expect(await redis.hlen('unacked')).toBe(1);
    await waitFor(async () => {
      await python({ op: 'restore', broker: urlFor('redis'), visibility_timeout: 1 });
      return (await redis.llen('celery')) === 1;
    }, 'kombu to restore it');
    const [element] = await redis.lrange('celery', 0, -1);
    const envelope = JSON.parse(element as string);
    expect(envelope.headers).toMatchObject({ id: message.id, redelivered: true });
    expect(envelope.properties.delivery_info.redelivered).toBe(true);
    expect(await redis.hlen('unacked')).toBe(0);
  });

  it('our worker restores and runs a message a dead Python consumer left in unacked', async () => {
    const message = taskMessage();
    await publishRawMessage(await publisher('redis'), 'celery', message);
    const taken = (await python({ op: 'take', broker: urlFor('redis') })) as { id: string };
    expect(taken.id).toBe(message.id);
    const redis = redisClient(urlFor('redis'));
    expect(await redis.hlen('unacked')).toBe(1);
    expect(await redis.llen('celery')).toBe(0);
    const ran = collector<{ taskId: string; redelivered: boolean | undefined }>();
    await startWorker('redis', {
      visibilityTimeoutMs: 500,
      handler: async (msg, { taskId }) => {
        ran.push({ taskId, redelivered: msg.properties.redelivered });
        return { status: 'SUCCESS', result: null };
      },
    });
    expect(await ran.next()).toEqual({ taskId: message.id, redelivered: true });
    await waitFor(async () => (await redis.hlen('unacked')) === 0, 'the ack');
  });
});
