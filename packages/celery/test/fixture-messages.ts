import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawCeleryMessage } from '../src/index.ts';

/** The captured girder_worker messages (copied from the shared fixtures; see their README). */
const MESSAGES_DIR: string = fileURLToPath(new URL('./fixtures/celery/', import.meta.url));

/** Case names (`01-plain`, …) that have both a Redis and an AMQP capture. */
export const CASES: string[] = readdirSync(MESSAGES_DIR)
  .filter((name) => /^\d\d-.*\.redis\.json$/.test(name))
  .map((name) => name.replace(/\.redis\.json$/, ''))
  .sort();

/** A Redis capture as a broker would hand it over (body base64-decoded). */
export function redisMessage(name: string): RawCeleryMessage {
  const envelope = JSON.parse(readFileSync(`${MESSAGES_DIR}${name}.redis.json`, 'utf8')) as {
    body: string;
    'content-type': string;
    'content-encoding': string;
    headers: Record<string, unknown>;
    properties: { correlation_id: string; reply_to: string; priority: number };
  };
  return {
    headers: envelope.headers,
    properties: {
      correlationId: envelope.properties.correlation_id,
      replyTo: envelope.properties.reply_to,
      priority: envelope.properties.priority,
    },
    contentType: envelope['content-type'],
    contentEncoding: envelope['content-encoding'],
    body: Buffer.from(envelope.body, 'base64'),
  };
}

/** An AMQP capture as a broker would hand it over. */
export function amqpMessage(name: string): RawCeleryMessage {
  const m = JSON.parse(readFileSync(`${MESSAGES_DIR}${name}.amqp.json`, 'utf8')) as {
    headers: Record<string, unknown>;
    properties: { correlation_id: string; reply_to: string; priority: number };
    content_type: string;
    content_encoding: string;
    body: string;
  };
  return {
    headers: m.headers,
    properties: {
      correlationId: m.properties.correlation_id,
      replyTo: m.properties.reply_to,
      priority: m.properties.priority,
    },
    contentType: m.content_type,
    contentEncoding: m.content_encoding,
    body: Buffer.from(m.body, 'utf8'),
  };
}

/** Replaces the Girder parts of a captured message (job spec, API URL, tokens) for a live test. */
export function withHeaders(message: RawCeleryMessage, headers: Record<string, unknown>): RawCeleryMessage {
  return { ...message, headers: { ...message.headers, ...headers } };
}
