import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { onTestFinished } from 'vitest';
import type {
  CeleryBroker,
  CeleryWorker,
  CeleryWorkerOptions,
  OutgoingCeleryMessage,
  TaskContext,
  TaskOutcome,
} from '../src/index.ts';
import { createBroker, createCeleryWorker } from '../src/index.ts';
import { brokerUrls, collector, redisClient, redisFixtures, redisUrl } from './helpers.ts';
import { amqpMailboxClient, type MailboxClient, redisMailboxClient } from './mailbox-client.ts';

/** The transports every worker test runs on. */
export const TRANSPORTS = ['redis', 'amqp'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Redis database the worker tests own. */
const WORKER_DB = 2;

/** The broker URL for `transport`. */
export function urlFor(transport: Transport): string {
  return transport === 'redis' ? redisUrl(WORKER_DB) : brokerUrls().amqp;
}

/** Empties what a previous test left: the Redis database, or the AMQP task and reply queues. */
export async function resetBroker(transport: Transport): Promise<void> {
  if (transport === 'redis') {
    await redisClient(urlFor('redis')).flushdb();
    return;
  }
  const connection = await amqp.connect(urlFor('amqp'));
  const channel = await connection.createChannel();
  await channel.deleteQueue('celery');
  await connection.close();
}

/** A docker_run message from the captured case 01 with a fresh task id and reply queue. */
export function taskMessage(
  id: string = randomUUID(),
  headers: Record<string, unknown> = {},
): OutgoingCeleryMessage & { id: string; replyTo: string } {
  const [fixture] = redisFixtures();
  if (!fixture) throw new Error('no Redis fixture');
  const replyTo = randomUUID();
  return {
    id,
    replyTo,
    headers: { ...fixture.envelope.headers, id, root_id: id, ...headers },
    properties: { correlationId: id, replyTo },
    body: Buffer.from(fixture.envelope.body, 'base64'),
  };
}

/** A publishing broker connection, closed when the test ends. */
export async function publisher(transport: Transport): Promise<CeleryBroker> {
  const broker = await createBroker(urlFor(transport));
  onTestFinished(() => broker.close());
  return broker;
}

/** A worker on `transport`, closed (with cancel) when the test ends. */
export async function startWorker(
  transport: Transport,
  options: Omit<CeleryWorkerOptions, 'broker'>,
): Promise<CeleryWorker> {
  const worker = await createCeleryWorker({
    broker: urlFor(transport),
    pollIntervalMs: 20,
    nodeName: `test-${randomUUID().slice(0, 8)}@localhost`,
    ...options,
  });
  onTestFinished(() => worker.close({ cancel: true }));
  return worker;
}

/** A mailbox client for `transport`. */
export async function mailboxClient(transport: Transport): Promise<MailboxClient> {
  return transport === 'redis' ? redisMailboxClient(urlFor('redis')) : amqpMailboxClient(urlFor('amqp'));
}

/** Reads the rpc result messages sent to `replyTo` (Redis list or AMQP queue). */
export async function rpcResults(
  transport: Transport,
  replyTo: string,
): Promise<{ next: () => Promise<{ body: Record<string, unknown>; correlationId: string | undefined }> }> {
  const got = collector<{ body: Record<string, unknown>; correlationId: string | undefined }>();
  if (transport === 'redis') {
    const client = redisClient(urlFor('redis'));
    return {
      async next() {
        const popped = await client.brpop(replyTo, 20);
        if (!popped) throw new Error(`no result on ${replyTo}`);
        const envelope = JSON.parse(popped[1]) as { body: string; properties: { correlation_id?: string } };
        return {
          body: JSON.parse(Buffer.from(envelope.body, 'base64').toString()),
          correlationId: envelope.properties.correlation_id,
        };
      },
    };
  }
  const connection = await amqp.connect(urlFor('amqp'));
  onTestFinished(() => connection.close().catch(() => {}));
  const channel = await connection.createChannel();
  // What Celery's rpc backend declares for its reply queue when the task is published.
  await channel.assertQueue(replyTo, {
    durable: false,
    autoDelete: true,
    arguments: { 'x-expires': 86_400_000 },
  });
  await channel.consume(
    replyTo,
    (msg) => {
      if (msg)
        got.push({ body: JSON.parse(msg.content.toString()), correlationId: msg.properties.correlationId });
    },
    { noAck: true },
  );
  return { next: got.next };
}

/** A handler whose runs the test settles by hand; a run whose signal aborts ends REVOKED by itself. */
export function manualHandler(): {
  started: ReturnType<typeof collector<ManualRun>>;
  handler: (message: unknown, context: TaskContext) => Promise<TaskOutcome>;
} {
  const started = collector<ManualRun>();
  const handler = (_message: unknown, context: TaskContext) =>
    new Promise<TaskOutcome>((resolve) => {
      context.signal.addEventListener('abort', () => resolve({ status: 'REVOKED' }), { once: true });
      started.push({
        taskId: context.taskId,
        context,
        finish: resolve,
        abortedAtStart: context.signal.aborted,
      });
    });
  return { started, handler };
}

/** One run of {@link manualHandler}. */
interface ManualRun {
  taskId: string;
  context: TaskContext;
  finish: (outcome: TaskOutcome) => void;
  abortedAtStart: boolean;
}
