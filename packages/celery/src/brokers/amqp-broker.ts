import type { Logger } from '@girder-worker/transforms';
import { redactUrl, silentLogger } from '@girder-worker/transforms';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import amqp from 'amqplib';
import { fromAmqpTable, toAmqpTable } from './amqp-table.ts';
import type {
  CeleryBroker,
  ConsumeOptions,
  Delivery,
  MailboxReplyTo,
  MailboxRequest,
  OutgoingCeleryMessage,
} from './broker.ts';
import { BrokerConnectionError, MalformedMessageError } from './errors.ts';
import { pythonJsonDumps } from './python-json.ts';

/** Options of the AMQP broker. */
export interface AmqpBrokerOptions {
  /** Where connection problems and unreadable messages are reported. @default silent */
  logger?: Logger;
  /** Called once when the connection is lost while not closing (the worker stops on it). */
  onConnectionLost?: (error: Error) => void;
}

const MAILBOX_EXCHANGE = 'celery.pidbox';

/** PRECONDITION_FAILED: a queue or exchange exists with other arguments. */
function isPreconditionFailed(error: unknown): boolean {
  return (error as { code?: number }).code === 406;
}

/**
 * A Celery broker on RabbitMQ (AMQP 0-9-1) through amqplib: queues and exchanges declared as
 * Celery declares them, manual acknowledgements, prefetch = concurrency, pidbox fanout.
 */
export class AmqpBroker implements CeleryBroker {
  readonly transport: 'amqp' = 'amqp' as const;
  readonly displayUrl: string;
  readonly #url: string;
  readonly #logger: Logger;
  readonly #onConnectionLost: ((error: Error) => void) | undefined;
  #connection: ChannelModel | undefined;
  #consumeChannel: Channel | undefined;
  #consumerTags: string[] = [];
  #publishChannel: Promise<ConfirmChannel> | undefined;
  #declared = new Set<string>();
  /** Open channels: closed before the connection so their last acks reach the broker first. */
  #channels = new Set<Channel>();
  #closing = false;
  #lostReported = false;
  #closed: Promise<void> | undefined;

  /**
   * @param url - `amqp://user:password@host:port/vhost` (Celery's `//` is the vhost `/`;
   *   `pyamqp://` and `amqps://` are accepted)
   * @param options - see {@link AmqpBrokerOptions}
   */
  constructor(url: string, options: AmqpBrokerOptions = {}) {
    const parsed = new URL(url.replace(/^pyamqp:/, 'amqp:'));
    this.#url = parsed.toString();
    this.displayUrl = redactUrl(parsed);
    this.#logger = options.logger ?? silentLogger;
    this.#onConnectionLost = options.onConnectionLost;
  }

  /** Connects (fails with {@link BrokerConnectionError} when RabbitMQ is not reachable). */
  async connect(): Promise<void> {
    try {
      this.#connection = await amqp.connect(this.#url, { clientProperties: { product: 'girder-worker' } });
    } catch (cause) {
      throw new BrokerConnectionError(
        `cannot connect to the AMQP broker ${this.displayUrl}: ${(cause as Error).message}; check the URL, credentials and that RabbitMQ is running`,
        { cause },
      );
    }
    this.#connection.on('error', (error: Error) =>
      this.#logger.warn('amqp connection error', { error: error.message }),
    );
    this.#connection.on('close', (error?: Error) => {
      if (this.#closing) return;
      const lost = new BrokerConnectionError(
        `the AMQP broker connection to ${this.displayUrl} was lost${error ? `: ${error.message}` : ''}`,
        { cause: error },
      );
      this.#lost(lost);
    });
  }

  /** Reports a lost connection, channel or consumer once. */
  #lost(error: BrokerConnectionError): void {
    if (this.#closing || this.#lostReported) return;
    this.#lostReported = true;
    this.#logger.error(error.message);
    this.#onConnectionLost?.(error);
  }

  #model(): ChannelModel {
    if (!this.#connection) throw new BrokerConnectionError('the AMQP broker is not connected');
    return this.#connection;
  }

  async #channel(): Promise<Channel> {
    const channel = await this.#model().createChannel();
    this.#channels.add(channel);
    channel.on('close', () => this.#channels.delete(channel));
    channel.on('error', (error: Error) => this.#logger.warn('amqp channel error', { error: error.message }));
    return channel;
  }

  /**
   * Declares `queue` as Celery does (durable queue, durable direct exchange of the same name,
   * bound with the queue name). When it already exists with other arguments, uses it as it is.
   */
  async #declareTaskQueue(queue: string): Promise<void> {
    if (this.#declared.has(queue)) return;
    const channel = await this.#channel();
    try {
      await channel.assertQueue(queue, { durable: true });
      await channel.assertExchange(queue, 'direct', { durable: true });
      await channel.bindQueue(queue, queue, queue);
      await channel.close();
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      const check = await this.#channel();
      await check.checkQueue(queue);
      await check.close();
      this.#logger.info('queue exists with other arguments; using it as it is', { queue });
    }
    this.#declared.add(queue);
  }

  async consume(options: ConsumeOptions): Promise<void> {
    if (this.#consumeChannel) throw new Error('this broker is already consuming');
    for (const queue of options.queues) await this.#declareTaskQueue(queue);
    const channel = await this.#channel();
    this.#consumeChannel = channel;
    channel.on('close', () => {
      // RabbitMQ closed the channel (e.g. a protocol error): no more deliveries come.
      this.#lost(
        new BrokerConnectionError(`the AMQP consume channel on ${this.displayUrl} was closed by the broker`),
      );
    });
    await channel.prefetch(options.prefetch, true);
    for (const queue of options.queues) {
      const { consumerTag } = await channel.consume(queue, (msg) => {
        if (msg) this.#deliver(channel, queue, msg, options);
        else if (!this.#closing && this.#consumerTags.length > 0) {
          // RabbitMQ cancelled the consumer (the queue was deleted).
          this.#lost(new BrokerConnectionError(`RabbitMQ cancelled the consumer of queue '${queue}'`));
        }
      });
      this.#consumerTags.push(consumerTag);
    }
  }

  #deliver(channel: Channel, queue: string, msg: ConsumeMessage, options: ConsumeOptions): void {
    const { properties } = msg;
    if (properties.headers === undefined) {
      options.onMalformed?.(
        new MalformedMessageError('AMQP message without headers: not a Celery protocol v2 message'),
        queue,
      );
      channel.reject(msg, false);
      return;
    }
    let settled = false;
    const settle = (action: () => void): Promise<void> => {
      if (settled) return Promise.resolve();
      settled = true;
      try {
        action();
      } catch (error) {
        // A closed channel: the broker requeues the message by itself.
        this.#logger.warn('could not settle an AMQP delivery', { error: (error as Error).message });
      }
      return Promise.resolve();
    };
    const delivery: Delivery = {
      message: {
        headers: fromAmqpTable(properties.headers),
        properties: {
          ...(typeof properties.correlationId === 'string'
            ? { correlationId: properties.correlationId }
            : {}),
          ...(typeof properties.replyTo === 'string' ? { replyTo: properties.replyTo } : {}),
          ...(typeof properties.priority === 'number' ? { priority: properties.priority } : {}),
          redelivered: msg.fields.redelivered,
        },
        contentType: properties.contentType ?? 'application/json',
        contentEncoding: properties.contentEncoding ?? 'utf-8',
        body: msg.content,
      },
      queue,
      ack: () => settle(() => channel.ack(msg)),
      reject: (requeue) => settle(() => channel.reject(msg, requeue)),
    };
    options.onDelivery(delivery);
  }

  async stopConsuming(): Promise<void> {
    const channel = this.#consumeChannel;
    if (!channel) return;
    for (const tag of this.#consumerTags.splice(0)) await channel.cancel(tag).catch(() => {});
  }

  #publisher(): Promise<ConfirmChannel> {
    this.#publishChannel ??= this.#model()
      .createConfirmChannel()
      .then((channel) => {
        this.#channels.add(channel);
        channel.on('error', (error: Error) =>
          this.#logger.warn('amqp publish channel error', { error: error.message }),
        );
        channel.on('close', () => {
          this.#channels.delete(channel);
          this.#publishChannel = undefined;
        });
        return channel;
      });
    return this.#publishChannel;
  }

  async #send(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: amqp.Options.Publish,
  ): Promise<void> {
    const channel = await this.#publisher();
    await new Promise<void>((resolve, reject) => {
      channel.publish(exchange, routingKey, content, options, (error: unknown) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      );
    });
  }

  async publish(queue: string, message: OutgoingCeleryMessage): Promise<void> {
    await this.#declareTaskQueue(queue);
    const { correlationId, replyTo, priority = 0, deliveryMode = 2 } = message.properties;
    await this.#send('', queue, message.body, {
      contentType: message.contentType ?? 'application/json',
      contentEncoding: message.contentEncoding ?? 'utf-8',
      headers: toAmqpTable(message.headers),
      deliveryMode,
      priority,
      ...(correlationId !== undefined ? { correlationId } : {}),
      ...(replyTo !== undefined ? { replyTo } : {}),
    });
  }

  async listenMailbox(nodeName: string, onRequest: (request: MailboxRequest) => void): Promise<void> {
    const channel = await this.#channel();
    await channel.assertExchange(MAILBOX_EXCHANGE, 'fanout', { durable: false, autoDelete: false });
    const queue = `${nodeName}.${MAILBOX_EXCHANGE}`;
    await channel.assertQueue(queue, {
      durable: false,
      autoDelete: true,
      arguments: { 'x-message-ttl': 300_000, 'x-expires': 10_000 },
    });
    await channel.bindQueue(queue, MAILBOX_EXCHANGE, '');
    await channel.consume(
      queue,
      (msg) => {
        if (!msg) return;
        try {
          const body: unknown = JSON.parse(msg.content.toString('utf8'));
          if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            throw new MalformedMessageError('pidbox message body: expected a JSON object');
          }
          onRequest({
            body: body as Record<string, unknown>,
            headers: fromAmqpTable(msg.properties.headers),
          });
        } catch (error) {
          this.#logger.error('unreadable pidbox message', { error: (error as Error).message });
        }
      },
      { noAck: true },
    );
  }

  async replyMailbox(
    replyTo: MailboxReplyTo,
    headers: { ticket: string; clock: number },
    body: unknown,
  ): Promise<void> {
    const channel = await this.#publisher();
    if (!this.#declared.has(`exchange:${replyTo.exchange}`)) {
      await channel.assertExchange(replyTo.exchange, 'direct', { durable: false, autoDelete: false });
      this.#declared.add(`exchange:${replyTo.exchange}`);
    }
    await this.#send(replyTo.exchange, replyTo.routing_key, Buffer.from(pythonJsonDumps(body)), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers: toAmqpTable(headers),
      deliveryMode: 1,
    });
  }

  async publishResult(replyTo: string, correlationId: string, body: unknown): Promise<void> {
    await this.#send('', replyTo, Buffer.from(pythonJsonDumps(body)), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers: {},
      deliveryMode: 1,
      correlationId,
    });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      // amqplib writes connection frames ahead of queued channel frames: close channels first.
      for (const channel of [...this.#channels]) await channel.close().catch(() => {});
      await this.#connection?.close().catch(() => {});
    })();
    return this.#closed;
  }
}
