import { randomUUID } from 'node:crypto';
import type { RawCeleryMessage } from '../task.ts';
import type { OutgoingCeleryMessage } from './broker.ts';
import { MalformedMessageError } from './errors.ts';
import { pythonJsonDumps } from './python-json.ts';

/** kombu's separator in Redis priority list names and `_kombu.binding.*` members. */
export const KOMBU_SEP = '\x06\x16';

/** kombu's Redis priority steps (`priority_steps`). */
export const PRIORITY_STEPS: readonly number[] = [0, 3, 6, 9];

/** The Redis list kombu uses for `queue` at `priority` (`_q_for_pri`). */
export function priorityList(queue: string, priority = 0): string {
  let step = 0;
  for (const s of PRIORITY_STEPS) if (priority >= s) step = s;
  return step === 0 ? queue : `${queue}${KOMBU_SEP}${step}`;
}

/** The `_kombu.binding.<exchange>` member binding `queue` with `routingKey` (empty pattern). */
export function bindingMember(routingKey: string, queue: string): string {
  return `${routingKey}${KOMBU_SEP}${KOMBU_SEP}${queue}`;
}

/** A kombu Redis envelope taken apart. */
export interface ParsedEnvelope {
  /** The message for the handler. */
  message: RawCeleryMessage;
  /** kombu's `properties.delivery_tag` (a UUID): the key in `unacked`. */
  deliveryTag: string;
  /** `properties.delivery_info.exchange`. */
  exchange: string;
  /** `properties.delivery_info.routing_key`. */
  routingKey: string;
  /** The envelope as a plain object (for restoring it). */
  envelope: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field<T>(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  const value = obj[key];
  if (!check(value)) {
    const got = value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 60);
    throw new MalformedMessageError(`kombu envelope ${path}: expected ${expected}, got ${got}`);
  }
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * Reads one element of a kombu Redis queue list: JSON with `body` (base64 when
 * `properties.body_encoding` is `base64`), `content-type`, `content-encoding`, `headers`,
 * `properties`.
 * @throws {@link MalformedMessageError} naming the field that is missing or wrong.
 */
export function parseKombuEnvelope(text: string): ParsedEnvelope {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch (cause) {
    throw new MalformedMessageError('kombu envelope: not JSON', { cause });
  }
  if (!isRecord(envelope)) throw new MalformedMessageError('kombu envelope: expected a JSON object');
  const properties = field(envelope, 'properties', 'properties', isRecord, 'an object');
  const headers = envelope.headers ?? {};
  if (!isRecord(headers)) throw new MalformedMessageError('kombu envelope headers: expected an object');
  const bodyText = field(envelope, 'body', 'body', isString, 'a string');
  const deliveryTag = field(properties, 'delivery_tag', 'properties.delivery_tag', isString, 'a string');
  const info = isRecord(properties.delivery_info) ? properties.delivery_info : {};
  const encoding = properties.body_encoding;
  const body = encoding === 'base64' ? Buffer.from(bodyText, 'base64') : Buffer.from(bodyText, 'utf8');
  const priority = typeof properties.priority === 'number' ? properties.priority : undefined;
  const message: RawCeleryMessage = {
    headers,
    properties: {
      ...(isString(properties.correlation_id) ? { correlationId: properties.correlation_id } : {}),
      ...(isString(properties.reply_to) ? { replyTo: properties.reply_to } : {}),
      ...(priority !== undefined ? { priority } : {}),
      redelivered: info.redelivered === true || headers.redelivered === true,
    },
    contentType: isString(envelope['content-type']) ? envelope['content-type'] : 'application/json',
    contentEncoding: isString(envelope['content-encoding']) ? envelope['content-encoding'] : 'utf-8',
    body,
  };
  return {
    message,
    deliveryTag,
    exchange: isString(info.exchange) ? info.exchange : '',
    routingKey: isString(info.routing_key) ? info.routing_key : '',
    envelope,
  };
}

/** Where a kombu envelope is being sent. */
export interface EnvelopeRoute {
  /** `delivery_info.exchange` (`""` for the default exchange). */
  exchange: string;
  /** `delivery_info.routing_key`. */
  routingKey: string;
  /** A fresh delivery tag; default a random UUID, as kombu makes. */
  deliveryTag?: string;
}

/**
 * Writes a kombu Redis envelope exactly as kombu's Redis transport does for a Celery publish:
 * same keys in the same order, base64 body, Python's JSON spacing.
 */
export function buildKombuEnvelope(message: OutgoingCeleryMessage, route: EnvelopeRoute): string {
  const { correlationId, replyTo, priority = 0, deliveryMode = 2 } = message.properties;
  return pythonJsonDumps({
    body: message.body.toString('base64'),
    'content-encoding': message.contentEncoding ?? 'utf-8',
    'content-type': message.contentType ?? 'application/json',
    headers: message.headers,
    properties: {
      correlation_id: correlationId,
      reply_to: replyTo,
      delivery_mode: deliveryMode,
      delivery_info: { exchange: route.exchange, routing_key: route.routingKey },
      priority,
      body_encoding: 'base64',
      delivery_tag: route.deliveryTag ?? randomUUID(),
    },
  });
}
