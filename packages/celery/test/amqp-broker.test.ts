import { waitFor } from '@girder-worker/test-helpers';
import amqp from 'amqplib';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { CeleryBroker, Delivery } from '../src/index.ts';
import { createBroker, publishRawMessage } from '../src/index.ts';
import { amqpFixtures, amqpFrames, brokerUrls, collector, onChannel, startRelay } from './helpers.ts';

const URL = brokerUrls().amqp;
const PORT = Number(new globalThis.URL(URL).port);
const brokers: CeleryBroker[] = [];

async function open(url = URL): Promise<CeleryBroker> {
  const broker = await createBroker(url);
  brokers.push(broker);
  return broker;
}

async function admin(): Promise<amqp.Channel> {
  const connection = await amqp.connect(URL);
  onTestFinished(() => connection.close().catch(() => {}));
  return connection.createChannel();
}

beforeEach(async () => {
  const channel = await admin();
  for (const queue of ['celery', 'other']) await channel.deleteQueue(queue);
});
afterEach(async () => {
  for (const broker of brokers.splice(0)) await broker.close();
});

async function consume(broker: CeleryBroker, queues = ['celery'], prefetch = 10) {
  const got = collector<Delivery>();
  await broker.consume({ queues, prefetch, onDelivery: got.push });
  return got;
}

/** Sends the captured py-amqp frames (publish, content header, body) on an open channel. */
async function replayWire(fixture: (typeof fixtures)[number]): Promise<void> {
  const relay = await startRelay(PORT);
  const connection = await amqp.connect(`amqp://guest:guest@127.0.0.1:${relay.port}//`);
  onTestFinished(() => connection.close().catch(() => {}));
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue('celery', { durable: true });
  const { wire } = fixture;
  const frames = [wire.basic_publish_frame_b64, wire.content_header_frame_b64, ...wire.body_frames_b64];
  relay.inject(Buffer.concat(frames.map((f) => Buffer.from(f, 'base64'))));
  await waitFor(async () => (await channel.checkQueue('celery')).messageCount === 1, 'the replayed message');
}

const fixtures = amqpFixtures();

describe('AMQP broker', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))(
    'delivers the %s frames py-amqp sent as their RawCeleryMessage',
    async (_name, fixture) => {
      await replayWire(fixture);
      const broker = await open();
      const got = await consume(broker);
      const delivery = await got.next();
      expect(delivery.queue).toBe('celery');
      expect(delivery.message).toEqual({
        headers: fixture.headers,
        properties: {
          correlationId: fixture.properties.correlation_id,
          replyTo: fixture.properties.reply_to,
          priority: 0,
          redelivered: false,
        },
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        body: Buffer.from(fixture.body, 'utf8'),
      });
      expect(Object.keys(delivery.message.headers)).toEqual(Object.keys(fixture.headers));
      await delivery.ack();
      await broker.close();
      expect((await (await admin()).checkQueue('celery')).messageCount).toBe(0);
    },
  );

  it('publishes the same frames py-amqp sent for every captured case', async () => {
    const relay = await startRelay(PORT);
    const broker = await open(`amqp://guest:guest@127.0.0.1:${relay.port}//`);
    for (const fixture of fixtures) {
      const before = relay.sent().length;
      await publishRawMessage(broker, 'celery', {
        headers: fixture.headers,
        properties: {
          correlationId: fixture.properties.correlation_id,
          replyTo: fixture.properties.reply_to,
        },
        body: Buffer.from(fixture.body, 'utf8'),
      });
      const frames = amqpFrames(relay.sent().subarray(before));
      const publish = frames.findIndex((f) => f.type === 1 && f.frame.readUInt32BE(7) === 0x003c0028);
      expect(publish).toBeGreaterThanOrEqual(0);
      const sent = frames.slice(publish, publish + 2 + fixture.wire.body_frames_b64.length);
      const channel = sent[0]?.channel ?? 0;
      const expected = [
        fixture.wire.basic_publish_frame_b64,
        fixture.wire.content_header_frame_b64,
        ...fixture.wire.body_frames_b64,
      ].map((f) => onChannel(Buffer.from(f, 'base64'), channel).toString('base64'));
      expect(sent.map((f) => f.frame.toString('base64'))).toEqual(expected);
    }
  });

  it('declares queue celery and its direct exchange as Celery does', async () => {
    const broker = await open();
    await consume(broker);
    const channel = await admin();
    // Passive checks fail (closing the channel) when they do not exist.
    await channel.checkExchange('celery');
    await expect(channel.assertQueue('celery', { durable: true })).resolves.toMatchObject({
      queue: 'celery',
    });
    await expect(channel.assertExchange('celery', 'direct', { durable: true })).resolves.toBeTruthy();
  });

  it('holds at most prefetch unacknowledged messages, across queues', async () => {
    const publisher = await open();
    for (const queue of ['celery', 'other', 'celery']) {
      await publishRawMessage(publisher, queue, {
        headers: { id: queue },
        properties: {},
        body: Buffer.from('[]'),
      });
    }
    const broker = await open();
    const got = await consume(broker, ['celery', 'other'], 2);
    const first = await got.next();
    await got.next();
    // RabbitMQ keeps the third back: ready in its queue, not sent to us.
    const channel = await admin();
    const ready = async () =>
      (await channel.checkQueue('celery')).messageCount + (await channel.checkQueue('other')).messageCount;
    expect(await ready()).toBe(1);
    expect(got.items).toHaveLength(2);
    await first.ack();
    await got.next();
    expect(got.items).toHaveLength(3);
  });

  it('requeues a rejected message (redelivered) or drops it', async () => {
    const publisher = await open();
    await publishRawMessage(publisher, 'celery', {
      headers: { id: 'r' },
      properties: {},
      body: Buffer.from('[]'),
    });
    const broker = await open();
    const got = await consume(broker, ['celery'], 1);
    await (await got.next()).reject(true);
    const again = await got.next();
    expect(again.message.properties.redelivered).toBe(true);
    await again.reject(false);
    await broker.close();
    expect((await (await admin()).checkQueue('celery')).messageCount).toBe(0);
  });

  it('gives an unacknowledged message back when the connection goes away', async () => {
    const publisher = await open();
    await publishRawMessage(publisher, 'celery', {
      headers: { id: 'u' },
      properties: {},
      body: Buffer.from('[]'),
    });
    const first = await open();
    const taken = await (await consume(first, ['celery'], 1)).next();
    expect(taken.message.properties.redelivered).toBe(false);
    await first.close();
    const second = await open();
    const again = await (await consume(second, ['celery'], 1)).next();
    expect(again.message.properties.redelivered).toBe(true);
    expect(again.message.headers.id).toBe('u');
    await again.ack();
  });

  it('reports once when RabbitMQ stops delivering (the consumed queue was deleted)', async () => {
    const lost = collector<Error>();
    const broker = await createBroker(URL, { onConnectionLost: lost.push });
    brokers.push(broker);
    await broker.consume({ queues: ['celery'], prefetch: 1, onDelivery: () => {} });
    await (await admin()).deleteQueue('celery');
    expect(await lost.next()).toMatchObject({
      name: 'BrokerConnectionError',
      code: 'GW_CELERY_BROKER_CONNECTION',
      message: expect.stringContaining("queue 'celery'"),
    });
    expect(lost.items).toHaveLength(1);
  });
});
