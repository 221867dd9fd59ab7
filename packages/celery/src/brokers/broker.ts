import type { RawCeleryMessage } from '../task.ts';

/** A message to publish: what a consumer would receive, minus what the broker adds. */
export interface OutgoingCeleryMessage {
  /** Celery protocol v2 headers, plain JSON (key order is kept on the wire). */
  headers: Readonly<Record<string, unknown>>;
  /** Message properties. */
  properties: {
    /** The task id (Celery sets it to `headers.id`). */
    correlationId?: string;
    /** The rpc result backend's reply queue. */
    replyTo?: string;
    /**
     * 0 to 9. On Redis, kombu files priorities 0–2 under `<queue>`, 3–5 under `<queue>\x06\x163`,
     * 6–8 under `…6`, 9 under `…9`, and consumes them in that order.
     * @default 0
     */
    priority?: number;
    /**
     * 2 (persistent, Celery's default for tasks) or 1 (transient).
     * @default 2
     */
    deliveryMode?: 1 | 2;
  };
  /** @default 'application/json' */
  contentType?: string;
  /** @default 'utf-8' */
  contentEncoding?: string;
  /** The serialized body bytes (on Redis they are base64-encoded into the envelope). */
  body: Buffer;
}

/** One message taken from a queue; it stays unacknowledged until {@link Delivery.ack} or reject. */
export interface Delivery {
  /** The message as delivered. */
  message: RawCeleryMessage;
  /** The queue it came from. */
  queue: string;
  /** Acknowledges it: the broker forgets it. Idempotent. */
  ack(): Promise<void>;
  /**
   * Gives it back: with `requeue`, to the queue (Redis: its tail, as kombu's reject does);
   * without, it is dropped (AMQP: dead-lettered when the queue has a dead-letter exchange).
   * Idempotent, and a no-op after {@link Delivery.ack}.
   */
  reject(requeue: boolean): Promise<void>;
}

/** Where a pidbox reply goes: the `reply_to` of a control request. */
export interface MailboxReplyTo {
  /** The reply exchange (`reply.celery.pidbox`). */
  exchange: string;
  /** The requester's routing key (its oid). */
  routing_key: string;
}

/** A control request taken from the pidbox mailbox, as Celery's `Mailbox._publish` sends it. */
export interface MailboxRequest {
  /** The decoded JSON body (`method`, `arguments`, `destination`, `pattern`, `matcher`, `ticket`, `reply_to`). */
  body: Record<string, unknown>;
  /** Message headers (`clock`, `expires`: a Unix time in seconds, 0 for none). */
  headers: Readonly<Record<string, unknown>>;
}

/** How {@link CeleryBroker.consume} delivers. */
export interface ConsumeOptions {
  /** Queue names (`celery` and any others). */
  queues: readonly string[];
  /** At most this many unacknowledged deliveries at a time (the worker's concurrency). */
  prefetch: number;
  /** Called for each delivery; must not throw. */
  onDelivery: (delivery: Delivery) => void;
  /** Called when a message cannot be read at all (it is logged and acknowledged by the broker). */
  onMalformed?: (error: Error, queue: string) => void;
}

/**
 * A Celery broker connection, Redis (kombu's layout) or AMQP 0-9-1. Consuming, the pidbox
 * mailbox, publishing task and result messages. Made by {@link createBroker}.
 */
export interface CeleryBroker {
  /** `redis` or `amqp`. */
  readonly transport: 'redis' | 'amqp';
  /** The broker URL with its secrets masked (`redactUrl`), for logs and `stats`. */
  readonly displayUrl: string;
  /** Starts taking messages; resolves once consuming. Only one consume per broker. */
  consume(options: ConsumeOptions): Promise<void>;
  /** Stops taking new messages; deliveries already handed out stay open until acked/rejected. */
  stopConsuming(): Promise<void>;
  /**
   * Publishes a task message to `queue` as Celery does (declaring the queue and its direct
   * exchange of the same name first).
   */
  publish(queue: string, message: OutgoingCeleryMessage): Promise<void>;
  /** Subscribes to the `celery.pidbox` broadcast as `nodeName`. */
  listenMailbox(nodeName: string, onRequest: (request: MailboxRequest) => void): Promise<void>;
  /**
   * Sends a control reply (`{<nodeName>: reply}`) to a request's `reply_to`, with the headers
   * Celery's `_publish_reply` sets (`ticket`, `clock`).
   */
  replyMailbox(
    replyTo: MailboxReplyTo,
    headers: { ticket: string; clock: number },
    body: unknown,
  ): Promise<void>;
  /**
   * Sends a result message to the rpc backend's reply queue `replyTo`
   * (default exchange, `correlation_id` = task id, transient, JSON).
   */
  publishResult(replyTo: string, correlationId: string, body: unknown): Promise<void>;
  /** Closes every connection. Idempotent. */
  close(): Promise<void>;
}
