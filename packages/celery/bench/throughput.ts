// Throughput of the Celery worker: 100 trivial docker_run tasks through Redis and through
// RabbitMQ at concurrency 2, against the same 100 runs in-process (no broker) in the same run.
// Each task runs `echo` in the local test image with dockerRun. Private redis-server and
// RabbitMQ nodes on loopback ports are started for the bench and stopped at the end.
//   pnpm --filter @girder-worker/celery bench      (GW_BENCH_TASKS=20 for a quick look)
import { randomUUID } from 'node:crypto';
import { dockerRun } from '@girder-worker/docker';
import { startRabbitMqServer, startRedisServer, TEST_IMAGE } from '@girder-worker/test-helpers';
import { silentReporter } from '@girder-worker/transforms';
import type { TaskHandler } from '../src/index.ts';
import { createBroker, createCeleryWorker, DOCKER_RUN_TASK, publishRawMessage } from '../src/index.ts';

const TASKS = Number(process.env.GW_BENCH_TASKS ?? 100);
const CONCURRENCY = 2;
const ROUNDS = Number(process.env.GW_BENCH_ROUNDS ?? 5);

let stuck = 0;

/**
 * The trivial task: `echo hi` in the test image, output dropped. A run still going after 60 s is
 * cancelled and counted (a bench must end even when the shared engine hiccups).
 */
async function echo(signal?: AbortSignal): Promise<void> {
  const limit = AbortSignal.timeout(60_000);
  try {
    await dockerRun({
      image: TEST_IMAGE,
      pullImage: false,
      containerArgs: ['echo', 'hi'],
      reporter: silentReporter,
      stopGraceMs: 1000,
      signal: signal ? AbortSignal.any([signal, limit]) : limit,
    });
  } catch (error) {
    if (!limit.aborted) throw error;
    stuck++;
  }
}

/** The same tasks in-process, CONCURRENCY at a time: the reference. */
async function inProcess(tasks: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < tasks) {
        next++;
        await echo();
      }
    }),
  );
  return performance.now() - start;
}

/** Publishes `tasks` docker_run messages, then times a worker draining them (until the last run). */
async function throughBroker(
  url: string,
  tasks: number,
  run: (signal: AbortSignal) => Promise<void> = echo,
): Promise<number> {
  const publisher = await createBroker(url);
  const body = Buffer.from(
    JSON.stringify({ 'py/tuple': [{ 'py/tuple': [TEST_IMAGE] }, { container_args: ['echo', 'hi'] }, {}] }),
  );
  for (let i = 0; i < tasks; i++) {
    const id = randomUUID();
    await publishRawMessage(publisher, 'celery', {
      headers: { lang: 'py', task: DOCKER_RUN_TASK, id, root_id: id, retries: 0, timelimit: [null, null] },
      properties: { correlationId: id },
      body,
    });
  }
  await publisher.close();
  let done = 0;
  let finished: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const handler: TaskHandler = async (_message, { signal }) => {
    try {
      await run(signal);
      return { status: 'SUCCESS', result: null };
    } finally {
      if (++done === tasks) setImmediate(finished);
    }
  };
  const start = performance.now();
  const worker = await createCeleryWorker({
    broker: url,
    concurrency: CONCURRENCY,
    handler,
    backend: 'disabled',
  });
  await all;
  await worker.close();
  return performance.now() - start;
}

function report(name: string, ms: number, referenceMs: number): void {
  const perTask = (ms - referenceMs) / TASKS;
  const ratio = referenceMs > 0 ? `  x${(ms / referenceMs).toFixed(2)} of in-process` : '';
  console.log(
    `${name.padEnd(22)} ${(TASKS / (ms / 1000)).toFixed(1).padStart(7)} tasks/s  ${(ms / TASKS).toFixed(2).padStart(8)} ms/task${ratio}  overhead ${perTask.toFixed(2)} ms/task`,
  );
}

const servers = await Promise.allSettled([startRedisServer(), startRabbitMqServer()]);
const stopAll = () =>
  Promise.all(servers.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(1)));
}
try {
  const [redis, rabbitmq] = servers.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  }) as [Awaited<ReturnType<typeof startRedisServer>>, Awaited<ReturnType<typeof startRabbitMqServer>>];
  await echo(); // warm the image and the engine
  // Interleaved rounds: the three ways share whatever load the machine has meanwhile.
  const rounds = Math.min(ROUNDS, TASKS);
  const total = { reference: 0, redis: 0, amqp: 0, bareRedis: 0, bareAmqp: 0 };
  const noop = async (): Promise<void> => {};
  for (let round = 0; round < rounds; round++) {
    const tasks = Math.floor(TASKS / rounds) + (round < TASKS % rounds ? 1 : 0);
    // Each round starts with another of the three, so none always runs right after the others.
    const ways = [
      async () => (total.reference += await inProcess(tasks)),
      async () => (total.redis += await throughBroker(redis.url, tasks)),
      async () => (total.amqp += await throughBroker(rabbitmq.url, tasks)),
    ];
    for (let i = 0; i < ways.length; i++) await ways[(round + i) % ways.length]?.();
    // The broker path alone: the same messages with a handler that does nothing.
    total.bareRedis += await throughBroker(redis.url, tasks, noop);
    total.bareAmqp += await throughBroker(rabbitmq.url, tasks, noop);
  }
  console.log(
    `celery worker: ${TASKS} echo tasks in ${rounds} interleaved rounds, concurrency ${CONCURRENCY}, image ${TEST_IMAGE}`,
  );
  report('in-process dockerRun', total.reference, total.reference);
  report('celery over Redis', total.redis, total.reference);
  report('celery over RabbitMQ', total.amqp, total.reference);
  console.log(`broker path alone (no-op handler, worker start included), ${TASKS} tasks:`);
  report('Redis, no-op', total.bareRedis, 0);
  report('RabbitMQ, no-op', total.bareAmqp, 0);
  if (stuck > 0) console.log(`${stuck} docker runs were still going after 60 s and were cancelled`);
} finally {
  await stopAll();
}
