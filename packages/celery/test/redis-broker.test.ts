import { waitFor } from '@girder-worker/test-helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CeleryBroker, Delivery } from '../src/index.ts';
import { createBroker, publishRawMessage } from '../src/index.ts';
import { collector, redisClient, redisFixtures, redisUrl } from './helpers.ts';

const URL = redisUrl(1);
let broker: CeleryBroker | undefined;

beforeEach(async () => {
  await redisClient(URL).flushdb();
});
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function consume(queues = ['celery'], prefetch = 10, visibilityTimeoutMs?: number) {
  broker = await createBroker(URL, {
    pollIntervalMs: 20,
    ...(visibilityTimeoutMs !== undefined ? { visibilityTimeoutMs } : {}),
  });
  const got = collector<Delivery>();
  await broker.consume({ queues, prefetch, onDelivery: got.push });
  return got;
}

describe('Redis broker (kombu layout)', () => {
  it.each(redisFixtures().map((f) => [f.name, f] as const))(
    'delivers the captured %s element as its RawCeleryMessage and records it in unacked until acked',
    async (_name, fixture) => {
      const redis = redisClient(URL);
      await redis.lpush('celery', fixture.text);
      const got = await consume();
      const delivery = await got.next();
      const { envelope } = fixture;
      expect(delivery.queue).toBe('celery');
      expect(delivery.message).toEqual({
        headers: envelope.headers,
        properties: {
          correlationId: envelope.properties.correlation_id,
          replyTo: envelope.properties.reply_to,
          priority: 0,
          redelivered: false,
        },
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        body: Buffer.from(envelope.body, 'base64'),
      });
      expect(Object.keys(delivery.message.headers)).toEqual(Object.keys(envelope.headers));
      const tag = envelope.properties.delivery_tag;
      // kombu's record: [payload, exchange, routing_key]; Python's json.loads reads it back.
      const record = await redis.hget('unacked', tag);
      expect(record).toBe(`[${fixture.text}, "", "celery"]`);
      expect(JSON.parse(record as string)).toEqual([envelope, '', 'celery']);
      expect(await redis.zscore('unacked_index', tag)).not.toBeNull();
      expect(await redis.llen('celery')).toBe(0);
      await delivery.ack();
      expect(await redis.hlen('unacked')).toBe(0);
      expect(await redis.zcard('unacked_index')).toBe(0);
    },
  );

  it('takes priority 0 before the 3, 6 and 9 lists, and each given queue', async () => {
    const redis = redisClient(URL);
    const [fixture] = redisFixtures();
    if (!fixture) throw new Error('no fixture');
    const withTag = (tag: string, priority: number) => {
      const e = structuredClone(fixture.envelope);
      e.properties.delivery_tag = tag;
      e.properties.priority = priority;
      return JSON.stringify(e);
    };
    await redis.lpush('celery\x06\x169', withTag('p9', 9));
    await redis.lpush('celery\x06\x163', withTag('p3', 3));
    await redis.lpush('other', withTag('o0', 0));
    await redis.lpush('celery', withTag('p0', 0));
    const got = await consume(['celery', 'other'], 1);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const d = await got.next();
      const tags = await redis.hkeys('unacked');
      expect(tags).toHaveLength(1); // prefetch 1: one message out at a time
      order.push(`${tags[0]}@${d.queue}:${d.message.properties.priority}`);
      await d.ack();
    }
    expect(order.slice(0, 2).sort()).toEqual(['o0@other:0', 'p0@celery:0']);
    expect(order.slice(2)).toEqual(['p3@celery:3', 'p9@celery:9']);
  });

  it('puts a rejected message back at the tail with kombu redelivered flags, or drops it', async () => {
    const redis = redisClient(URL);
    const [fixture] = redisFixtures();
    if (!fixture) throw new Error('no fixture');
    await redis.lpush('celery', fixture.text);
    const got = await consume(['celery'], 1);
    const first = await got.next();
    await first.reject(true);
    const again = await got.next();
    expect(again.message.properties.redelivered).toBe(true);
    expect(again.message.headers.redelivered).toBe(true);
    expect(again.message.body).toEqual(first.message.body);
    await again.reject(false);
    await waitFor(async () => (await redis.hlen('unacked')) === 0, 'unacked to empty');
    expect(await redis.llen('celery')).toBe(0);
    expect(got.items).toHaveLength(2);
  });

  it("restores a dead worker's message after the visibility timeout, as kombu's restore_visible does", async () => {
    const redis = redisClient(URL);
    const [fixture] = redisFixtures();
    if (!fixture) throw new Error('no fixture');
    const tag = fixture.envelope.properties.delivery_tag;
    // What a Python worker killed mid-task leaves behind (kombu QoS.append).
    await redis.hset('unacked', tag, `[${fixture.text}, "", "celery"]`);
    await redis.zadd('unacked_index', Date.now() / 1000 - 10, tag);
    const got = await consume(['celery'], 1, 2_000);
    const delivery = await got.next();
    expect(delivery.message.properties.redelivered).toBe(true);
    expect(delivery.message.properties.correlationId).toBe(fixture.envelope.properties.correlation_id);
    // Now recorded again, by us, under the same tag, with a fresh score.
    const score = Number(await redis.zscore('unacked_index', tag));
    expect(score).toBeGreaterThan(Date.now() / 1000 - 5);
    await delivery.ack();
    expect(await redis.exists('unacked', 'unacked_index', 'unacked_mutex')).toBe(0);
  });

  it('keeps refreshing a message it is still running, so no restorer takes it twice', async () => {
    const redis = redisClient(URL);
    const [fixture] = redisFixtures();
    if (!fixture) throw new Error('no fixture');
    await redis.lpush('celery', fixture.text);
    const got = await consume(['celery'], 1, 400);
    const delivery = await got.next();
    const tag = fixture.envelope.properties.delivery_tag;
    const first = Number(await redis.zscore('unacked_index', tag));
    await waitFor(
      async () => Number(await redis.zscore('unacked_index', tag)) > first + 0.3,
      'a refreshed score',
    );
    expect(await redis.llen('celery')).toBe(0);
    expect(got.items).toHaveLength(1);
    await delivery.ack();
  });

  it('publishes byte for byte what kombu pushes (apart from the fresh delivery tag)', async () => {
    const redis = redisClient(URL);
    broker = await createBroker(URL);
    for (const fixture of redisFixtures()) {
      await redis.del('celery');
      const { envelope } = fixture;
      await publishRawMessage(broker, 'celery', {
        headers: envelope.headers,
        properties: {
          correlationId: envelope.properties.correlation_id,
          replyTo: envelope.properties.reply_to,
        },
        body: Buffer.from(envelope.body, 'base64'),
      });
      const [element] = await redis.lrange('celery', 0, -1);
      const tag = (JSON.parse(element as string) as typeof envelope).properties.delivery_tag;
      expect(tag).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(element).toBe(fixture.text.replace(envelope.properties.delivery_tag, tag));
    }
    expect(await redis.smembers('_kombu.binding.celery')).toEqual(['celery\x06\x16\x06\x16celery']);
    expect((await redis.keys('*')).sort()).toEqual(['_kombu.binding.celery', 'celery']);
  });

  it('publishes priorities onto kombu priority lists', async () => {
    const redis = redisClient(URL);
    broker = await createBroker(URL);
    const message = { headers: { id: 'x' }, properties: { priority: 7 }, body: Buffer.from('[]') };
    await publishRawMessage(broker, 'q', message);
    expect(await redis.llen('q\x06\x166')).toBe(1);
  });

  it('refuses a URL of another scheme before connecting', async () => {
    await expect(createBroker('http://127.0.0.1:1/')).rejects.toMatchObject({
      name: 'InvalidBrokerUrlError',
      code: 'GW_CELERY_INVALID_BROKER_URL',
      message: expect.stringContaining("got 'http'"),
    });
  });

  it('keeps refreshing the messages still running after it stopped consuming (a warm shutdown)', async () => {
    const redis = redisClient(URL);
    const [fixture] = redisFixtures();
    if (!fixture) throw new Error('no fixture');
    await redis.lpush('celery', fixture.text);
    const got = await consume(['celery'], 1, 400);
    const delivery = await got.next();
    await broker?.stopConsuming();
    const tag = fixture.envelope.properties.delivery_tag;
    const first = Number(await redis.zscore('unacked_index', tag));
    await waitFor(
      async () => Number(await redis.zscore('unacked_index', tag)) > first + 0.3,
      'a refreshed score',
    );
    await delivery.ack();
    expect(await redis.exists('unacked', 'unacked_index')).toBe(0);
  });
});
