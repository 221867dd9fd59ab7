import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';

/**
 * What `celery inspect` / `control.revoke` do on the wire, written out by hand from kombu's
 * `Mailbox._broadcast`: publish the request on the `celery.pidbox` fanout and collect replies on
 * the requester's `<oid>.reply.celery.pidbox` queue bound to `reply.celery.pidbox`.
 */
export interface MailboxClient {
  /** Broadcasts the exact bytes of a captured request (Redis: the PUBLISH payload; AMQP: body + headers). */
  sendRaw(payload: string, headers?: Record<string, unknown>): Promise<void>;
  /** Sends `method` and waits for `expected` replies (default 1, 10 s at most). */
  call(
    method: string,
    args?: Record<string, unknown>,
    options?: { destination?: string[]; expected?: number; timeoutMs?: number },
  ): Promise<Record<string, unknown>[]>;
  /** Sends `method` without asking for a reply. */
  cast(method: string, args?: Record<string, unknown>, destination?: string[] | null): Promise<void>;
}

const REPLY_EXCHANGE = 'reply.celery.pidbox';

function request(
  method: string,
  args: Record<string, unknown>,
  destination: string[] | null,
  reply?: { ticket: string; oid: string },
) {
  return {
    method,
    arguments: args,
    destination,
    pattern: null,
    matcher: null,
    ...(reply
      ? { ticket: reply.ticket, reply_to: { exchange: REPLY_EXCHANGE, routing_key: reply.oid } }
      : {}),
  };
}

/** A mailbox client on the Redis server at `url` (database from the URL). */
export function redisMailboxClient(url: string): MailboxClient {
  const client = new Redis(url);
  onTestFinished(() => client.disconnect());
  const db = Number(new URL(url).pathname.slice(1) || '0');
  const channel = `/${db}.celery.pidbox`;
  const envelope = (body: unknown, headers: Record<string, unknown>) =>
    JSON.stringify({
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers,
      properties: {
        delivery_mode: 2,
        delivery_info: { exchange: 'celery.pidbox', routing_key: '' },
        priority: 0,
        body_encoding: 'base64',
        delivery_tag: randomUUID(),
      },
    });
  return {
    async sendRaw(payload) {
      await client.publish(channel, payload);
    },
    async cast(method, args = {}, destination = null) {
      await client.publish(channel, envelope(request(method, args, destination), { clock: 1, expires: 0 }));
    },
    async call(method, args = {}, options = {}) {
      const oid = randomUUID();
      const ticket = randomUUID();
      const queue = `${oid}.${REPLY_EXCHANGE}`;
      await client.sadd(`_kombu.binding.${REPLY_EXCHANGE}`, `${oid}\x06\x16\x06\x16${queue}`);
      await client.publish(
        channel,
        envelope(request(method, args, options.destination ?? null, { ticket, oid }), {
          clock: 1,
          expires: 0,
        }),
      );
      const replies: Record<string, unknown>[] = [];
      const end = Date.now() + (options.timeoutMs ?? 10_000);
      while (replies.length < (options.expected ?? 1) && Date.now() < end) {
        const popped = await client.brpop(queue, 0.2);
        if (!popped) continue;
        const reply = JSON.parse(popped[1]) as { body: string; headers: { ticket: string } };
        if (reply.headers.ticket === ticket)
          replies.push(JSON.parse(Buffer.from(reply.body, 'base64').toString()));
      }
      await client.srem(`_kombu.binding.${REPLY_EXCHANGE}`, `${oid}\x06\x16\x06\x16${queue}`);
      return replies;
    },
  };
}

/** A mailbox client on the RabbitMQ at `url`. */
export async function amqpMailboxClient(url: string): Promise<MailboxClient> {
  const connection = await amqp.connect(url);
  onTestFinished(() => connection.close().catch(() => {}));
  const channel = await connection.createChannel();
  await channel.assertExchange('celery.pidbox', 'fanout', { durable: false, autoDelete: false });
  const publish = (body: unknown, headers: Record<string, unknown>) =>
    channel.publish('celery.pidbox', '', Buffer.from(JSON.stringify(body)), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers,
      deliveryMode: 2,
      priority: 0,
    });
  return {
    async sendRaw(payload, headers = { clock: 1, expires: 0 }) {
      channel.publish('celery.pidbox', '', Buffer.from(payload), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        headers: {
          clock: { '!': 'int', value: headers.clock },
          expires: { '!': 'int', value: headers.expires },
        },
        deliveryMode: 2,
        priority: 0,
      });
    },
    async cast(method, args = {}, destination = null) {
      publish(request(method, args, destination), { clock: 1, expires: 0 });
    },
    async call(method, args = {}, options = {}) {
      const oid = randomUUID();
      const ticket = randomUUID();
      const queue = `${oid}.${REPLY_EXCHANGE}`;
      await channel.assertExchange(REPLY_EXCHANGE, 'direct', { durable: false, autoDelete: false });
      await channel.assertQueue(queue, {
        durable: false,
        autoDelete: true,
        arguments: { 'x-expires': 10_000 },
      });
      await channel.bindQueue(queue, REPLY_EXCHANGE, oid);
      const replies: Record<string, unknown>[] = [];
      const expected = options.expected ?? 1;
      let resolve: () => void = () => {};
      const done = new Promise<void>((r) => {
        resolve = r;
      });
      const { consumerTag } = await channel.consume(
        queue,
        (msg) => {
          if (!msg || msg.properties.headers?.ticket !== ticket) return;
          replies.push(JSON.parse(msg.content.toString()));
          if (replies.length >= expected) resolve();
        },
        { noAck: true },
      );
      publish(request(method, args, options.destination ?? null, { ticket, oid }), { clock: 1, expires: 0 });
      const timer = setTimeout(resolve, options.timeoutMs ?? 10_000);
      await done;
      clearTimeout(timer);
      await channel.cancel(consumerTag);
      return replies;
    },
  };
}
