import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeTcp, startRabbitMqServer, startRedisServer } from '../src/index.ts';

const AMQP_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

describe('private brokers on loopback', () => {
  it('starts a redis-server that answers PING on 127.0.0.1 and is gone after stop()', async () => {
    const redis = await startRedisServer();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}/0`);
    expect((await probeTcp(redis.port, 'PING\r\n'))?.toString()).toBe('+PONG\r\n');
    await redis.stop();
    await redis.stop(); // idempotent
    expect(await probeTcp(redis.port, 'PING\r\n')).toBeUndefined();
  });

  it('starts a private RabbitMQ node that speaks AMQP 0-9-1 and leaves nothing after stop()', async () => {
    const base = process.env.GW_RABBITMQ_BASE ?? '/tmp';
    const ours = () => readdirSync(base).filter((d) => d.startsWith('gw-rabbitmq-'));
    const before = new Set(ours());
    const rabbitmq = await startRabbitMqServer();
    const created = ours().filter((d) => !before.has(d));
    expect(created).toHaveLength(1);
    expect(rabbitmq.url).toBe(`amqp://guest:guest@127.0.0.1:${rabbitmq.port}//`);
    expect(rabbitmq.nodeName).toMatch(/^gw-[0-9a-f]{8}@localhost$/);
    // Connection.Start: a method frame (type 1) on channel 0.
    const start = await probeTcp(rabbitmq.port, AMQP_HEADER);
    expect(start?.[0]).toBe(1);
    expect(start?.readUInt16BE(1)).toBe(0);
    await rabbitmq.stop();
    await rabbitmq.stop(); // idempotent
    expect(await probeTcp(rabbitmq.port, AMQP_HEADER)).toBeUndefined();
    expect(existsSync(join(base, created[0] as string))).toBe(false);
  });
});
