// Throughput of the Celery worker: 100 trivial docker_run tasks through Redis and through
// RabbitMQ at concurrency 2, against the same 100 runs in-process (no broker) in the same run.
// Each task runs `echo` in the local test image with dockerRun. Private redis-server and
// RabbitMQ nodes on loopback ports are started for the bench and stopped at the end.
//   pnpm --filter @girder-worker/celery bench      (GW_BENCH_TASKS=20 for a quick look)
import { randomUUID } from 'node:crypto';
import { dockerRun } from '@girder-worker/docker';
import { startRabbitMqServer, startRedisServer } from '@girder-worker/test-helpers';
import { silentReporter } from '@girder-worker/transforms';
import type { TaskHandler } from '../src/index.ts';
import { createBroker, createCeleryWorker, DOCKER_RUN_TASK, publishRawMessage } from '../src/index.ts';

const IMAGE = process.env.GW_TEST_IMAGE ?? 'girder-worker-test/busybox:latest';
const TASKS = Number(process.env.GW_BENCH_TASKS ?? 100);
const CONCURRENCY = 2;

/** The trivial task: `echo hi` in the test image, output dropped. */
async function echo(signal?: AbortSignal): Promise<void> {
  await dockerRun({
    image: IMAGE,
    pullImage: false,
    containerArgs: ['echo', 'hi'],
    reporter: silentReporter,
    ...(signal ? { signal } : {}),
  });
}

/** The same tasks in-process, CONCURRENCY at a time: the reference. */
async function inProcess(): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TASKS) {
        next++;
        await echo();
      }
    }),
  );
  return performance.now() - start;
}

/** Publishes TASKS docker_run messages, then times a worker draining them (until the last ack). */
async function throughBroker(
  url: string,
  run: (signal: AbortSignal) => Promise<void> = echo,
): Promise<number> {
  const publisher = await createBroker(url);
  const body = Buffer.from(
    JSON.stringify({ 'py/tuple': [{ 'py/tuple': [IMAGE] }, { container_args: ['echo', 'hi'] }, {}] }),
  );
  for (let i = 0; i < TASKS; i++) {
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
    await run(signal);
    if (++done === TASKS) setImmediate(finished);
    return { status: 'SUCCESS', result: null };
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
  const reference = await inProcess();
  const viaRedis = await throughBroker(redis.url);
  const viaAmqp = await throughBroker(rabbitmq.url);
  // The broker path alone: the same messages with a handler that does nothing.
  const noop = async (): Promise<void> => {};
  const bareRedis = await throughBroker(redis.url, noop);
  const bareAmqp = await throughBroker(rabbitmq.url, noop);
  console.log(`celery worker: ${TASKS} echo tasks, concurrency ${CONCURRENCY}, image ${IMAGE}`);
  report('in-process dockerRun', reference, reference);
  report('celery over Redis', viaRedis, reference);
  report('celery over RabbitMQ', viaAmqp, reference);
  console.log(`broker path alone (no-op handler), ${TASKS} tasks:`);
  report('Redis, no-op', bareRedis, 0);
  report('RabbitMQ, no-op', bareAmqp, 0);
} finally {
  await stopAll();
}
