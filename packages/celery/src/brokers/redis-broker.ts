import { randomUUID } from 'node:crypto';
import type { Logger } from '@girder-worker/transforms';
import { redactUrl, silentLogger } from '@girder-worker/transforms';
import { Redis } from 'ioredis';
import type {
  CeleryBroker,
  ConsumeOptions,
  Delivery,
  MailboxReplyTo,
  MailboxRequest,
  OutgoingCeleryMessage,
} from './broker.ts';
import { BrokerConnectionError, MalformedMessageError } from './errors.ts';
import { bindingMember, buildKombuEnvelope, parseKombuEnvelope, priorityList } from './kombu-envelope.ts';
import { pythonJsonDumps } from './python-json.ts';
import {
  bindQueue,
  forget,
  lookupQueues,
  popAndRecord,
  restoreByTag,
  restoreVisible,
  touch,
} from './redis-unacked.ts';

/** Options of the Redis broker (kombu's Redis transport options where they exist). */
export interface RedisBrokerOptions {
  /**
   * kombu's `visibility_timeout`: a message taken but not acknowledged for this long (a dead
   * worker's) goes back to its queue. Our worker keeps refreshing the messages it is still
   * running, so a long task is never taken twice.
   * @default 3_600_000 (kombu's 3600 s)
   */
  visibilityTimeoutMs?: number;
  /**
   * How often to look for messages when every queue was empty.
   * @default 100
   */
  pollIntervalMs?: number;
  /** Where connection problems and unreadable messages are reported. @default silent */
  logger?: Logger;
}

const MAILBOX_EXCHANGE = 'celery.pidbox';

/**
 * A Celery broker on Redis in kombu's layout (lists per queue and priority, base64 envelopes,
 * `_kombu.binding.*`, `unacked`/`unacked_index`, pidbox over PUBLISH), through ioredis.
 */
export class RedisBroker implements CeleryBroker {
  readonly transport: 'redis' = 'redis' as const;
  readonly displayUrl: string;
  readonly #client: Redis;
  readonly #db: number;
  readonly #visibilityTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #logger: Logger;
  #subscriber: Redis | undefined;
  #mailboxBinding: [string, string] | undefined;
  #consume: ConsumeOptions | undefined;
  #inFlight = new Set<string>();
  #inFlightCount = 0;
  /** The take under way, if any (stopConsuming waits for it). */
  #popping: Promise<boolean> | undefined;
  #pumping = false;
  #turn = 0;
  #pumpAgain = false;
  #pollTimer: NodeJS.Timeout | undefined;
  #maintenanceTimer: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;

  /**
   * @param url - `redis://[:password@]host[:port][/db]` (or `rediss://`)
   * @param options - see {@link RedisBrokerOptions}
   */
  constructor(url: string, options: RedisBrokerOptions = {}) {
    const parsed = new URL(url);
    this.#db = Number(parsed.pathname.slice(1) || '0');
    this.displayUrl = redactUrl(parsed);
    this.#visibilityTimeoutMs = options.visibilityTimeoutMs ?? 3_600_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 100;
    this.#logger = options.logger ?? silentLogger;
    this.#client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
    this.#client.on('error', (error: Error) =>
      this.#logger.warn('redis broker connection error', { url: this.displayUrl, error: error.message }),
    );
  }

  /** Connects (fails with {@link BrokerConnectionError} when Redis is not reachable). */
  async connect(): Promise<void> {
    try {
      await this.#client.connect();
    } catch (cause) {
      this.#client.disconnect();
      throw new BrokerConnectionError(
        `cannot connect to the Redis broker ${this.displayUrl}: ${(cause as Error).message}; check the URL and that Redis is running`,
        { cause },
      );
    }
  }

  async consume(options: ConsumeOptions): Promise<void> {
    if (this.#consume) throw new Error('this broker is already consuming');
    for (const queue of options.queues) await bindQueue(this.#client, queue);
    this.#consume = options;
    await this.#maintain();
    const every = Math.max(50, Math.min(this.#visibilityTimeoutMs / 4, 60_000));
    this.#maintenanceTimer = setInterval(() => void this.#maintain(), every);
    void this.#pump();
  }

  /** Refreshes our in-flight messages, then restores dead workers' ones. */
  async #maintain(): Promise<void> {
    try {
      await touch(this.#client, [...this.#inFlight]);
      const restored = await restoreVisible(this.#client, this.#visibilityTimeoutMs);
      if (restored > 0) {
        this.#logger.info('restored unacknowledged messages past the visibility timeout', { restored });
        void this.#pump();
      }
    } catch (error) {
      if (!this.#closed)
        this.#logger.warn('redis unacked maintenance failed', { error: (error as Error).message });
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    clearTimeout(this.#pollTimer);
    try {
      do {
        this.#pumpAgain = false;
        while (this.#consume && this.#inFlightCount < this.#consume.prefetch) {
          // Queues take turns at each priority, as kombu's round-robin cycle does.
          const queues = this.#consume.queues;
          const turn = this.#turn++ % queues.length;
          const step = (async (): Promise<boolean> => {
            const popped = await popAndRecord(this.#client, [
              ...queues.slice(turn),
              ...queues.slice(0, turn),
            ]);
            if (!popped) return false;
            if (!this.#consume) {
              // Taken while consuming stopped: put it straight back (else it would wait in
              // `unacked` for the visibility timeout).
              if (popped.tag) await restoreByTag(this.#client, popped.tag, true);
              return false;
            }
            this.#deliver(popped.queue, popped.text, popped.tag);
            return true;
          })();
          this.#popping = step;
          if (!(await step)) break;
        }
      } while (this.#pumpAgain);
    } catch (error) {
      if (!this.#closed) this.#logger.warn('redis broker read failed', { error: (error as Error).message });
    } finally {
      this.#pumping = false;
    }
    if (this.#consume && !this.#closed && this.#inFlightCount < this.#consume.prefetch) {
      this.#pollTimer = setTimeout(() => void this.#pump(), this.#pollIntervalMs);
    }
  }

  #deliver(queue: string, text: string, tag: string): void {
    const consume = this.#consume;
    if (!consume) return;
    let parsed: ReturnType<typeof parseKombuEnvelope>;
    try {
      parsed = parseKombuEnvelope(text);
    } catch (error) {
      // Recorded messages stay in `unacked`: readable by a person, never redelivered to us.
      consume.onMalformed?.(error as MalformedMessageError, queue);
      if (tag) void forget(this.#client, tag).catch(() => {});
      return;
    }
    this.#inFlight.add(tag);
    this.#inFlightCount++;
    let settled = false;
    const settle = async (action: () => Promise<unknown>): Promise<void> => {
      if (settled) return;
      settled = true;
      try {
        await action();
      } finally {
        this.#inFlight.delete(tag);
        this.#inFlightCount--;
        void this.#pump();
      }
    };
    const delivery: Delivery = {
      message: parsed.message,
      queue,
      ack: () => settle(() => forget(this.#client, tag)),
      reject: (requeue) =>
        settle(async () => {
          if (!requeue || !(await restoreByTag(this.#client, tag, true))) await forget(this.#client, tag);
        }),
    };
    consume.onDelivery(delivery);
  }

  async stopConsuming(): Promise<void> {
    this.#consume = undefined;
    clearTimeout(this.#pollTimer);
    // A message being taken right now is delivered or put back before this returns.
    await this.#popping?.catch(() => {});
    // The maintenance goes on until close: the messages still running keep being refreshed.
  }

  async publish(queue: string, message: OutgoingCeleryMessage): Promise<void> {
    await bindQueue(this.#client, queue);
    const envelope = buildKombuEnvelope(message, { exchange: '', routingKey: queue });
    await this.#client.lpush(priorityList(queue, message.properties.priority ?? 0), envelope);
  }

  async listenMailbox(nodeName: string, onRequest: (request: MailboxRequest) => void): Promise<void> {
    const subscriber = this.#client.duplicate();
    subscriber.on('error', (error: Error) =>
      this.#logger.warn('redis mailbox connection error', { error: error.message }),
    );
    this.#subscriber = subscriber;
    const channel = `/${this.#db}.${MAILBOX_EXCHANGE}`;
    subscriber.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      try {
        const { message } = parseKombuEnvelope(text);
        const body: unknown = JSON.parse(message.body.toString('utf8'));
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new MalformedMessageError('pidbox message body: expected a JSON object');
        }
        onRequest({ body: body as Record<string, unknown>, headers: message.headers });
      } catch (error) {
        this.#logger.error('unreadable pidbox message', { error: (error as Error).message });
      }
    });
    await subscriber.subscribe(channel);
    // kombu binds the node's pidbox queue to the fanout exchange; a worker listing reads it.
    this.#mailboxBinding = [
      `_kombu.binding.${MAILBOX_EXCHANGE}`,
      bindingMember('', `${nodeName}.${MAILBOX_EXCHANGE}`),
    ];
    await this.#client.sadd(...this.#mailboxBinding);
  }

  async replyMailbox(
    replyTo: MailboxReplyTo,
    headers: { ticket: string; clock: number },
    body: unknown,
  ): Promise<void> {
    const queues = await lookupQueues(this.#client, replyTo.exchange, replyTo.routing_key);
    const envelope = buildKombuEnvelope(
      { headers, properties: { deliveryMode: 1 }, body: Buffer.from(pythonJsonDumps(body)) },
      { exchange: replyTo.exchange, routingKey: replyTo.routing_key },
    );
    // No bound queue: the requester is gone (kombu ignores the InconsistencyError too).
    for (const queue of queues) await this.#client.lpush(queue, envelope);
  }

  async publishResult(replyTo: string, correlationId: string, body: unknown): Promise<void> {
    const envelope = buildKombuEnvelope(
      {
        headers: {},
        properties: { correlationId, deliveryMode: 1 },
        body: Buffer.from(pythonJsonDumps(body)),
      },
      { exchange: '', routingKey: replyTo, deliveryTag: randomUUID() },
    );
    await this.#client.lpush(replyTo, envelope);
  }

  /** The ioredis client (for a Redis result backend on the same server). */
  get client(): Redis {
    return this.#client;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.stopConsuming();
      clearInterval(this.#maintenanceTimer);
      if (this.#mailboxBinding) await this.#client.srem(...this.#mailboxBinding).catch(() => {});
      this.#subscriber?.disconnect();
      await this.#client.quit().catch(() => this.#client.disconnect());
    })();
    return this.#closed;
  }
}
