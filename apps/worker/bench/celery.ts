// The whole Celery path against our BullMQ path, in the same run: 100 trivial tasks (`echo` in the
// test image) published as girder_worker publishes docker_run (publishDockerRun), taken by the
// Celery worker with the docker_run handler, through Redis and through RabbitMQ, at concurrency 2;
// and the same 100 runs submitted to a BullMQ worker (createWorker + submitRun) on the same Redis.
// Interleaved rounds; tasks/s and ms per task; the per-task overhead of each against BullMQ.
//   pnpm --filter girder-worker bench:celery       (GW_BENCH_TASKS=20 GW_BENCH_ROUNDS=1 for a look)
import {
  type CeleryWorker,
  createBroker,
  createCeleryWorker,
  createDockerRunHandler,
  publishDockerRun,
} from '@girder-worker/celery';
import { median, startRabbitMqServer, startRedisServer, TEST_IMAGE } from '@girder-worker/test-helpers';
import { createWorker, submitRun, waitForRun } from '../src/index.ts';

const TASKS = Number(process.env.GW_BENCH_TASKS ?? 100);
const ROUNDS = Number(process.env.GW_BENCH_ROUNDS ?? 3);
const CONCURRENCY = 2;

const redis = await startRedisServer();
const rabbit = await startRabbitMqServer();

/** Publishes TASKS messages, then times a Celery worker draining them (until the last settled). */
async function celeryRound(url: string, round: number): Promise<number> {
  const queue = `bench-${round}-${Date.now().toString(36)}`;
  const broker = await createBroker(url);
  try {
    for (let i = 0; i < TASKS; i++)
      await publishDockerRun(broker, {
        queue,
        image: TEST_IMAGE,
        pullImage: false,
        containerArgs: ['echo', 'hi'],
      });
  } finally {
    await broker.close();
  }
  let settled = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const handler = createDockerRunHandler();
  const start = performance.now();
  const worker: CeleryWorker = await createCeleryWorker({
    broker: url,
    queues: [queue],
    concurrency: CONCURRENCY,
    backend: 'disabled',
    handler: async (message, context) => {
      const outcome = await handler(message, context);
      if (++settled === TASKS) allDone();
      return outcome;
    },
  });
  await done;
  const ms = performance.now() - start;
  await worker.close();
  return ms;
}

/** Submits TASKS runs to BullMQ, then times a worker draining them. */
async function bullmqRound(round: number): Promise<number> {
  const queue = `bench-bullmq-${round}-${Date.now().toString(36)}`;
  const spec = { image: TEST_IMAGE, pullImage: false, containerArgs: ['echo', 'hi'] };
  const ids: string[] = [];
  for (let i = 0; i < TASKS; i++) ids.push(await submitRun({ redisUrl: redis.url, queue, spec }));
  const start = performance.now();
  const worker = await createWorker({
    redisUrl: redis.url,
    queue,
    concurrency: CONCURRENCY,
    reapIntervalMs: 0,
  });
  for (const id of ids) await waitForRun(id, { redisUrl: redis.url, queue, timeoutMs: 600_000 });
  const ms = performance.now() - start;
  await worker.close();
  return ms;
}

try {
  const times = { bullmq: [] as number[], redis: [] as number[], amqp: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    times.bullmq.push(await bullmqRound(round));
    times.redis.push(await celeryRound(redis.url.replace(/\/0$/, '/1'), round));
    times.amqp.push(await celeryRound(rabbit.url, round));
  }
  const perTask = (ms: number): number => ms / TASKS;
  const bull = perTask(median(times.bullmq));
  console.log(
    `| ${TASKS} echo tasks, concurrency ${CONCURRENCY}, median of ${ROUNDS} | tasks/s | ms per task | overhead vs BullMQ |`,
  );
  console.log('| --- | --- | --- | --- |');
  for (const [name, values] of [
    ['BullMQ worker (createWorker)', times.bullmq],
    ['Celery worker over Redis', times.redis],
    ['Celery worker over RabbitMQ', times.amqp],
  ] as const) {
    const ms = perTask(median(values));
    console.log(`| ${name} | ${(1000 / ms).toFixed(1)} | ${ms.toFixed(0)} | ${(ms - bull).toFixed(0)} ms |`);
  }
} finally {
  await rabbit.stop();
  await redis.stop();
}
