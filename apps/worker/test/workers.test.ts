import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startGirderTestServer } from '@girder-worker/girder-test-server';
import {
  makeTempDir,
  type RedisServerHandle,
  startRedisServer,
  TEST_IMAGE,
  testDocker,
  waitFor,
} from '@girder-worker/test-helpers';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelRun, getRunStatus, submitRun, waitForRun } from '../src/index.ts';
import { connectionOf } from '../src/queue-common.ts';
import { runCli, startWorkers as startWorkerProcesses, stopWorkers, workersReady } from './helpers.ts';

let redis: RedisServerHandle;
let queueCounter = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** Containers started by the given worker processes (labelled with their pid). */
async function containersOf(pids: number[]): Promise<string[]> {
  const found = await testDocker().listContainers({
    all: true,
    filters: { label: ['org.girder-worker.pid'] },
  });
  return found
    .filter(
      (c) =>
        c.Labels['org.girder-worker.host'] === hostname() &&
        pids.includes(Number(c.Labels['org.girder-worker.pid'])),
    )
    .map((c) => c.Id);
}

const startWorkers = (queue: string, count: number, extra: string[] = []) =>
  startWorkerProcesses(redis.url, queue, count, extra);
const stopAll = stopWorkers;

const spec = (args: unknown[]) => ({ image: TEST_IMAGE, pullImage: false, containerArgs: args });

// Several workers, containers and Redis round trips per test: generous on a loaded machine.
describe('girder-worker worker (BullMQ on a real Redis)', { timeout: 180_000 }, () => {
  it('spreads 20 runs across two worker processes', async () => {
    const queue = `spread-${++queueCounter}`;
    const workers = startWorkers(queue, 2);
    try {
      await workersReady(workers);
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          submitRun({ redisUrl: redis.url, queue, spec: spec(['sh', '-c', `sleep 0.2; echo run-${i}`]) }),
        ),
      );
      const results = await Promise.all(
        ids.map((id) => waitForRun(id, { redisUrl: redis.url, queue, timeoutMs: 60_000 })),
      );
      expect(results.every((r) => r.exitCode === 0)).toBe(true);
      expect(new Set(results.map((r) => r.worker)).size).toBe(2);
      const output = workers.map((w) => w.output()).join('');
      for (let i = 0; i < 20; i++) expect(output).toContain(`run-${i}\n`);
    } finally {
      await stopAll(workers);
    }
    expect(await containersOf(workers.map((w) => w.pid as number))).toEqual([]);
  });

  it('retries the run of a killed worker on the other one and reaps its orphaned container', async () => {
    const queue = `kill-${++queueCounter}`;
    const workers = startWorkers(queue, 2);
    try {
      await workersReady(workers);
      const id = await submitRun({
        redisUrl: redis.url,
        queue,
        spec: spec(['sh', '-c', 'sleep 4; echo survived']),
      });
      const victim = (await waitFor(
        async () => {
          for (const w of workers) if ((await containersOf([w.pid as number])).length > 0) return w;
          return undefined;
        },
        'the run to start',
        20_000,
      )) as ReturnType<typeof startWorkers>[number];
      victim.kill('SIGKILL');
      const survivor = workers.find((w) => w !== victim);
      const result = await waitForRun(id, { redisUrl: redis.url, queue, timeoutMs: 60_000 });
      expect(result.exitCode).toBe(0);
      expect(result.worker).toContain(String(survivor?.pid));
      await waitFor(
        async () => (await containersOf([victim.pid as number])).length === 0,
        'the orphan to be reaped',
        20_000,
      );
    } finally {
      await stopAll(workers);
    }
  });

  it('cancels a queued run and a running one', async () => {
    const queue = `cancel-${++queueCounter}`;
    const queued = await submitRun({ redisUrl: redis.url, queue, spec: spec(['true']) });
    expect(await cancelRun(queued, { redisUrl: redis.url, queue })).toBe('removed');
    expect(await getRunStatus(queued, { redisUrl: redis.url, queue })).toBeUndefined();

    // This test is about cancelling, not stalls: a lock of 30 s (not the file's 3 s) keeps a worker
    // slowed by a loaded machine from losing its run to the stall check and taking it twice.
    const workers = startWorkers(queue, 1, ['--lock-duration-ms', '30000']);
    try {
      const running = await submitRun({ redisUrl: redis.url, queue, spec: spec(['sleep', '60']) });
      await waitFor(
        async () => (await getRunStatus(running, { redisUrl: redis.url, queue }))?.state === 'active',
        'the run to be active',
        20_000,
      );
      await waitFor(
        async () => (await containersOf([workers[0]?.pid as number])).length > 0,
        'its container',
        20_000,
      );
      expect(await cancelRun(running, { redisUrl: redis.url, queue })).toBe('signalled');
      await expect(waitForRun(running, { redisUrl: redis.url, queue, timeoutMs: 30_000 })).rejects.toThrow(
        /cancelled/,
      );
      expect((await getRunStatus(running, { redisUrl: redis.url, queue }))?.state).toBe('failed');
      await waitFor(
        async () => (await containersOf([workers[0]?.pid as number])).length === 0,
        'the container to go',
        20_000,
      );
    } finally {
      await stopAll(workers);
    }
  });

  it('on SIGTERM takes no new runs and finishes the running one; with --on-sigterm cancel, cancels it', async () => {
    const queue = `sigterm-${++queueCounter}`;
    for (const mode of ['finish', 'cancel'] as const) {
      const [worker] = startWorkers(queue, 1, ['--on-sigterm', mode, '--concurrency', '1']);
      if (!worker) throw new Error('no worker');
      await waitFor(() => worker.output().includes('takes runs from queue'), 'the worker to start', 20_000);
      const running = await submitRun({
        redisUrl: redis.url,
        queue,
        spec: spec(['sh', '-c', `sleep 1.5; echo ${mode}-done`]),
      });
      await waitFor(
        async () => (await containersOf([worker.pid as number])).length > 0,
        'its container',
        20_000,
      );
      const later = await submitRun({ redisUrl: redis.url, queue, spec: spec(['true']) });
      worker.kill('SIGTERM');
      const exited = await worker.result;
      expect(exited.code).toBe(0);
      const status = await getRunStatus(running, { redisUrl: redis.url, queue });
      if (mode === 'finish') {
        expect(status?.state).toBe('completed');
        expect(exited.stdout).toContain(`[${running}] finish-done\n`);
      } else {
        expect(status).toMatchObject({
          state: 'failed',
          failureCode: 'GW_RUN_CANCELLED',
          failedReason: 'worker shutting down',
        });
        expect(exited.stdout).not.toContain('cancel-done');
      }
      expect((await getRunStatus(later, { redisUrl: redis.url, queue }))?.state).toBe('waiting');
      expect(await cancelRun(later, { redisUrl: redis.url, queue })).toBe('removed');
      expect(await containersOf([worker.pid as number])).toEqual([]);
    }
  });

  it('submits, waits, shows status and cancels through the CLI', async () => {
    const queue = `cli-${++queueCounter}`;
    const dir = await makeTempDir();
    await writeFile(join(dir, 'in.txt'), 'queued input\n');
    await writeFile(
      join(dir, 'spec.json'),
      JSON.stringify(
        spec([
          'cat',
          {
            $transform: 'Connect',
            input: { $transform: 'HostFileSource', path: 'in.txt' },
            output: { $transform: 'NamedInputPipe', name: 'in' },
          },
        ]),
      ),
    );
    const bad = await runCli(['submit', '-', '--redis', redis.url, '--queue', queue], {
      input: JSON.stringify({ image: TEST_IMAGE, containerArgs: ['cat', { $transform: 'NoSuchKind' }] }),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('containerArgs[1]');
    const workers = startWorkers(queue, 1);
    try {
      // The worker runs elsewhere: the relative path is taken from the spec's directory at submit.
      const submitted = await runCli([
        'submit',
        join(dir, 'spec.json'),
        '--redis',
        redis.url,
        '--queue',
        queue,
        '--wait',
        '--json',
      ]);
      expect(submitted.code).toBe(0);
      const { id, exitCode, worker } = JSON.parse(submitted.stdout);
      expect(exitCode).toBe(0);
      expect(worker).toContain(String(workers[0]?.pid));
      expect(workers[0]?.output()).toContain(`[${id}] queued input\n`);
      const status = await runCli(['status', id, '--redis', redis.url, '--queue', queue]);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ id, state: 'completed', attemptsMade: 1 });
      const finished = await runCli(['cancel', id, '--redis', redis.url, '--queue', queue]);
      expect(finished.stdout).toBe('finished\n');
      const unknown = await runCli(['status', 'no-such-run', '--redis', redis.url, '--queue', queue]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(`no run with id no-such-run in queue '${queue}'`);
    } finally {
      await stopAll(workers);
    }
  });

  it('reports Girder-backed runs to their jobs: [RUNNING, SUCCESS] with log and progress; [RUNNING, ERROR] from job data; CANCELING stops the run', async () => {
    const server = await startGirderTestServer();
    const queue = `girder-${++queueCounter}`;
    const workers = startWorkers(queue, 1);
    try {
      const { job, token } = server.createJob({ title: 'queued run' });
      const id = await submitRun({
        redisUrl: redis.url,
        queue,
        girderToken: token,
        spec: {
          ...spec([
            'sh',
            '-c',
            'echo starting; echo \'{"total": 2, "current": 2, "message": "all done"}\' > "$0"; echo finished',
            { $transform: 'ProgressPipe' },
          ]),
          girder: { apiUrl: server.apiUrl, jobId: job._id },
        },
      });
      await waitForRun(id, { redisUrl: redis.url, queue, timeoutMs: 60_000 });
      const done = server.getJob(job._id);
      expect(done.timestamps.map((t) => t.status)).toEqual([1, 2, 3]);
      expect(done.log.join('')).toBe('starting\nfinished\n');
      expect(done.progress).toMatchObject({ total: 2, current: 2, message: 'all done' });

      // As a Girder plugin queues it: the job reference (with its job-scoped token) in the job data.
      const second = server.createJob({ title: 'plugin run' });
      const failing = await submitRun({
        redisUrl: redis.url,
        queue,
        girderJob: { apiUrl: server.apiUrl, jobId: second.job._id, token: second.token },
        spec: spec(['sh', '-c', 'echo about to fail; exit 3']),
      });
      await expect(waitForRun(failing, { redisUrl: redis.url, queue, timeoutMs: 60_000 })).rejects.toThrow(
        /exited with code 3/,
      );
      const failed = server.getJob(second.job._id);
      expect(failed.timestamps.map((t) => t.status)).toEqual([1, 2, 4]);
      expect(failed.log.join('')).toContain('about to fail\n');

      // Cancelled in Girder while it runs: the container stops, the job ends CANCELED, no retry.
      const third = server.createJob({ title: 'cancel me in Girder' });
      const cancelled = await submitRun({
        redisUrl: redis.url,
        queue,
        girderJob: { apiUrl: server.apiUrl, jobId: third.job._id, token: third.token },
        spec: spec(['sleep', '60']),
      });
      await waitFor(
        async () =>
          server.getJob(third.job._id).status === 2 &&
          (await containersOf([workers[0]?.pid as number])).length > 0,
        'the run to be RUNNING',
        20_000,
      );
      const response = await fetch(`${server.apiUrl}/job/${third.job._id}/cancel`, {
        method: 'PUT',
        headers: { 'Girder-Token': server.admin.token },
      });
      expect(response.status).toBe(200);
      await expect(waitForRun(cancelled, { redisUrl: redis.url, queue, timeoutMs: 30_000 })).rejects.toThrow(
        /cancelled: the Girder job was cancelled/,
      );
      expect(
        server
          .getJob(third.job._id)
          .timestamps.map((t) => t.status)
          .at(-1),
      ).toBe(5);
      expect((await getRunStatus(cancelled, { redisUrl: redis.url, queue }))?.attemptsMade).toBe(1);
      expect(await containersOf([workers[0]?.pid as number])).toEqual([]);

      // Settled runs keep no token in Redis (succeeded, failed, cancelled).
      const q = new Queue(queue, { connection: connectionOf(redis.url) });
      try {
        for (const runId of [id, failing, cancelled]) {
          const data = JSON.stringify((await Job.fromId(q, runId))?.data);
          expect(data).toContain('"spec"');
          for (const secret of [token, second.token, third.token]) expect(data).not.toContain(secret);
        }
      } finally {
        await q.close();
      }

      const output = workers[0]?.output() ?? '';
      expect(output).not.toContain(token);
      expect(output).not.toContain(second.token);
      expect(output).not.toContain(third.token);
    } finally {
      await stopAll(workers);
      await server.close();
    }
  });
});
