import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';

/** The shared Celery fixtures (real captured messages). */
const FIXTURES_DIR: string =
  process.env.GW_CELERY_FIXTURES ?? new URL('./fixtures/celery', import.meta.url).pathname;

/** The private servers the global setup started. */
export function brokerUrls(): { redis: string; amqp: string } {
  const redis = process.env.GW_TEST_REDIS_URL;
  const amqp = process.env.GW_TEST_AMQP_URL;
  if (!redis || !amqp)
    throw new Error('GW_TEST_REDIS_URL / GW_TEST_AMQP_URL are not set (test/global-setup.ts)');
  return { redis, amqp };
}

/** The Redis URL on database `db` (each test file owns one, so files never see each other's keys). */
export function redisUrl(db: number): string {
  return brokerUrls().redis.replace(/\/\d+$/, `/${db}`);
}

/** A Redis client closed when the test ends. */
export function redisClient(url: string): Redis {
  const client = new Redis(url);
  onTestFinished(() => {
    client.disconnect();
  });
  return client;
}

/** One captured Redis case: the exact list element and its parsed form. */
export interface RedisFixture {
  name: string;
  text: string;
  envelope: {
    body: string;
    headers: Record<string, unknown>;
    properties: Record<string, unknown> & { correlation_id: string; reply_to: string; delivery_tag: string };
  };
}

/** One captured AMQP case. */
export interface AmqpFixture {
  name: string;
  properties: { correlation_id: string; reply_to: string; priority: number; delivery_mode: number };
  headers: Record<string, unknown>;
  body: string;
  wire: { basic_publish_frame_b64: string; content_header_frame_b64: string; body_frames_b64: string[] };
}

/** Every `NN-name.redis.json` case. */
export function redisFixtures(): RedisFixture[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => /^\d\d-.*\.redis\.json$/.test(f))
    .map((f) => {
      const text = readFileSync(`${FIXTURES_DIR}/${f}`, 'utf8');
      return { name: f.replace('.redis.json', ''), text, envelope: JSON.parse(text) };
    });
}

/** Every `NN-name.amqp.json` case. */
export function amqpFixtures(): AmqpFixture[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => /^\d\d-.*\.amqp\.json$/.test(f))
    .map((f) => ({
      name: f.replace('.amqp.json', ''),
      ...JSON.parse(readFileSync(`${FIXTURES_DIR}/${f}`, 'utf8')),
    }));
}

/** A fixture file parsed. */
export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(`${FIXTURES_DIR}/${name}`, 'utf8')) as T;
}

/** A fixture file's exact text. */
export function readFixtureText(name: string): string {
  return readFileSync(`${FIXTURES_DIR}/${name}`, 'utf8');
}

/** Resolves with the next value `push` is given (a one-slot queue for callbacks). */
export function collector<T>(): { push: (value: T) => void; next: () => Promise<T>; items: T[] } {
  const items: T[] = [];
  const waiters: ((value: T) => void)[] = [];
  let read = 0;
  return {
    items,
    push(value) {
      items.push(value);
      const waiter = waiters.shift();
      if (waiter) {
        read++;
        waiter(value);
      }
    },
    next() {
      if (read < items.length) return Promise.resolve(items[read++] as T);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/**
 * A loopback TCP relay in front of `port` that records every byte the client sends, so a test
 * can compare the AMQP frames a publisher wrote with the captured ones.
 */
export async function startRelay(port: number): Promise<{
  port: number;
  sent: () => Buffer;
  inject: (bytes: Buffer) => void;
  close: () => Promise<void>;
}> {
  const chunks: Buffer[] = [];
  const sockets: Socket[] = [];
  const upstreams: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = netConnect({ host: '127.0.0.1', port });
    sockets.push(client, upstream);
    upstreams.push(upstream);
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  onTestFinished(close);
  return {
    port: (server.address() as { port: number }).port,
    sent: () => Buffer.concat(chunks),
    // Writes bytes to the broker as if the client had sent them (between the client's frames).
    inject: (bytes) => {
      upstreams.at(-1)?.write(bytes);
    },
    close,
  };
}

/** AMQP frames in a byte stream (after the 8-byte protocol header). */
export function amqpFrames(bytes: Buffer): { type: number; channel: number; frame: Buffer }[] {
  const frames: { type: number; channel: number; frame: Buffer }[] = [];
  let offset = bytes.subarray(0, 4).toString('latin1') === 'AMQP' ? 8 : 0;
  while (offset + 7 <= bytes.length) {
    const size = bytes.readUInt32BE(offset + 3);
    const end = offset + 7 + size + 1;
    if (end > bytes.length) break;
    frames.push({
      type: bytes[offset] as number,
      channel: bytes.readUInt16BE(offset + 1),
      frame: bytes.subarray(offset, end),
    });
    offset = end;
  }
  return frames;
}

/** The frame with its channel number set to `channel` (captures and our channels may differ). */
export function onChannel(frame: Buffer, channel: number): Buffer {
  const copy = Buffer.from(frame);
  copy.writeUInt16BE(channel, 1);
  return copy;
}
