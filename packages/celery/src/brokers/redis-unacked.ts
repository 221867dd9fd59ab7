import type { Redis } from 'ioredis';
import { bindingMember, KOMBU_SEP, PRIORITY_STEPS, priorityList } from './kombu-envelope.ts';
import { pythonJsonDumps } from './python-json.ts';

/** kombu's Redis QoS keys (`kombu.transport.redis.Channel` defaults). */
const UNACKED = 'unacked';
/** Sorted set of delivery tags scored by the Unix time they were taken. */
const UNACKED_INDEX = 'unacked_index';
/** The lock kombu's `restore_visible` takes (`SET NX EX 300`). */
const UNACKED_MUTEX = 'unacked_mutex';

/**
 * Pops the first message of the given lists (in order) and, atomically with the pop, records it
 * where kombu records a delivered message: `HSET unacked <tag> [<envelope>, <exchange>,
 * <routing_key>]` and `ZADD unacked_index <now> <tag>`. So unlike kombu (BRPOP, then HSET) there
 * is no moment where a crash loses it. Returns `{list, envelope, tag}` or nil.
 * KEYS: lists…, unacked, unacked_index. ARGV: now, then each list's queue name.
 */
const POP_SCRIPT = `
local n = #KEYS - 2
for i = 1, n do
  local item = redis.call('RPOP', KEYS[i])
  if item then
    local tag = ''
    local ex = ''
    local rk = ARGV[i + 1]
    local ok, env = pcall(cjson.decode, item)
    if ok and type(env) == 'table' and type(env['properties']) == 'table' then
      local p = env['properties']
      if type(p['delivery_tag']) == 'string' then tag = p['delivery_tag'] end
      local di = p['delivery_info']
      if type(di) == 'table' then
        if type(di['exchange']) == 'string' then ex = di['exchange'] end
        if type(di['routing_key']) == 'string' then rk = di['routing_key'] end
      end
    end
    if tag ~= '' then
      redis.call('ZADD', KEYS[n + 2], ARGV[1], tag)
      redis.call('HSET', KEYS[n + 1], tag, '[' .. item .. ', ' .. cjson.encode(ex) .. ', ' .. cjson.encode(rk) .. ']')
    end
    return {ARGV[i + 1], item, tag}
  end
end
return false
`;

/**
 * Puts a recorded message back on its lists and forgets it, only if the record is still the one
 * read (so two restorers never both push it). KEYS: unacked, unacked_index, lists….
 * ARGV: tag, the record read, the envelope to push, 1 for LPUSH (tail) or 0 for RPUSH (head).
 */
const RESTORE_SCRIPT = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 3, #KEYS do
  if ARGV[4] == '1' then redis.call('LPUSH', KEYS[i], ARGV[3]) else redis.call('RPUSH', KEYS[i], ARGV[3]) end
end
return 1
`;

/** Releases kombu's mutex only when it is still ours. KEYS: mutex. ARGV: our token. */
const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** What {@link popAndRecord} took. */
export interface PoppedEnvelope {
  /** The queue name (not the priority list). */
  queue: string;
  /** The envelope text. */
  text: string;
  /** Its delivery tag, `''` when it had none (a malformed message, not recorded). */
  tag: string;
}

/** Seconds since the epoch, as kombu scores `unacked_index`. */
function now(): string {
  return (Date.now() / 1000).toFixed(6);
}

/** Atomically pops one message from `queues` (priority lists in kombu's order) and records it. */
export async function popAndRecord(
  client: Redis,
  queues: readonly string[],
): Promise<PoppedEnvelope | undefined> {
  const lists: string[] = [];
  const names: string[] = [];
  for (const step of PRIORITY_STEPS) {
    for (const queue of queues) {
      lists.push(priorityList(queue, step));
      names.push(queue);
    }
  }
  const reply = (await client.eval(
    POP_SCRIPT,
    lists.length + 2,
    ...lists,
    UNACKED,
    UNACKED_INDEX,
    now(),
    ...names,
  )) as [string, string, string] | null;
  if (!reply) return undefined;
  return { queue: reply[0], text: reply[1], tag: reply[2] };
}

/** kombu's ack: `ZREM unacked_index <tag>` and `HDEL unacked <tag>` in one transaction. */
export async function forget(client: Redis, tag: string): Promise<void> {
  await client.multi().zrem(UNACKED_INDEX, tag).hdel(UNACKED, tag).exec();
}

/** Moves the score of messages still being worked on to now, so no restorer takes them. */
export async function touch(client: Redis, tags: readonly string[]): Promise<void> {
  if (tags.length === 0) return;
  const args: string[] = [];
  const t = now();
  for (const tag of tags) args.push(t, tag);
  await client.zadd(UNACKED_INDEX, 'XX', ...args);
}

/** kombu's `_lookup` for a direct exchange: the queues a message with `routingKey` goes to. */
export async function lookupQueues(client: Redis, exchange: string, routingKey: string): Promise<string[]> {
  if (!exchange) return [routingKey];
  const members = await client.smembers(`_kombu.binding.${exchange}`);
  const queues = new Set<string>();
  for (const member of members) {
    const [rk, , queue] = member.split(KOMBU_SEP);
    if (queue !== undefined && rk === routingKey) queues.add(queue);
  }
  return [...queues];
}

/** Registers `queue` as Celery declares it on Redis: `SADD _kombu.binding.<queue> <queue>␆␖␆␖<queue>`. */
export async function bindQueue(client: Redis, queue: string): Promise<void> {
  await client.sadd(`_kombu.binding.${queue}`, bindingMember(queue, queue));
}

/**
 * kombu's `restore_by_tag`: puts the recorded message back (`headers.redelivered` and
 * `delivery_info.redelivered` set to true) on the lists of its exchange and routing key, at the
 * tail (`leftmost`, as a reject with requeue does) or at the head (as a visibility restore does),
 * and forgets the record. Returns whether this call restored it.
 */
export async function restoreByTag(client: Redis, tag: string, leftmost: boolean): Promise<boolean> {
  const record = await client.hget(UNACKED, tag);
  if (record === null) {
    await client.zrem(UNACKED_INDEX, tag);
    return false;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(record);
  } catch {
    return false;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'object' || parsed[0] === null) return false;
  const [payload, exchange, routingKey] = parsed as [Record<string, unknown>, unknown, unknown];
  const headers = payload.headers as Record<string, unknown> | undefined;
  const properties = payload.properties as Record<string, unknown> | undefined;
  const info = properties?.delivery_info as Record<string, unknown> | undefined;
  if (headers && info) {
    headers.redelivered = true;
    info.redelivered = true;
  }
  const priority = typeof properties?.priority === 'number' ? properties.priority : 0;
  const queues = await lookupQueues(
    client,
    typeof exchange === 'string' ? exchange : '',
    typeof routingKey === 'string' ? routingKey : '',
  );
  const lists = queues.map((q) => priorityList(q, priority));
  const done = await client.eval(
    RESTORE_SCRIPT,
    2 + lists.length,
    UNACKED,
    UNACKED_INDEX,
    ...lists,
    tag,
    record,
    pythonJsonDumps(payload),
    leftmost ? '1' : '0',
  );
  return done === 1;
}

/**
 * kombu's `restore_visible`: under kombu's `unacked_mutex`, restores every recorded message
 * taken more than `visibilityTimeoutMs` ago (by any worker, Python or ours). Returns how many.
 */
export async function restoreVisible(
  client: Redis,
  visibilityTimeoutMs: number,
  limit = 10,
): Promise<number> {
  const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const locked = await client.set(UNACKED_MUTEX, token, 'EX', 300, 'NX');
  if (locked !== 'OK') return 0;
  try {
    const ceiling = (Date.now() - visibilityTimeoutMs) / 1000;
    const tags = await client.zrevrangebyscore(UNACKED_INDEX, ceiling, 0, 'LIMIT', 0, limit);
    let restored = 0;
    for (const tag of tags) if (await restoreByTag(client, tag, false)) restored++;
    return restored;
  } finally {
    await client.eval(UNLOCK_SCRIPT, 1, UNACKED_MUTEX, token);
  }
}
