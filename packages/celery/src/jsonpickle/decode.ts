import { JsonPickleError } from './errors.ts';
import {
  newPyDict,
  PyBytes,
  PyDatetime,
  type PyDict,
  PyObject,
  PyObjectId,
  PyReduce,
  PySet,
  PyTuple,
  PyType,
  type PyValue,
} from './nodes.ts';
import { type OrderedJson, parseOrderedJson } from './ordered-json.ts';

/** Tags this decoder understands; any other `py/…` key is refused. */
const OBJECT_TAGS = new Set(['py/object', 'py/state']);

function entriesOf(value: object): [string, unknown][] {
  return value instanceof Map ? [...(value as Map<string, unknown>)] : Object.entries(value);
}

function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

function base64Bytes(text: unknown, path: string): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new JsonPickleError(path, 'expected base64 text');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Walks one encoded value, numbering registered objects in pre-order as jsonpickle's encoder does. */
class Decoder {
  readonly #refs: PyValue[] = [];

  #register(value: PyValue): number {
    this.#refs.push(value);
    return this.#refs.length - 1;
  }

  decode(node: unknown, path: string): PyValue {
    if (node === null || typeof node === 'boolean' || typeof node === 'number' || typeof node === 'string') {
      return node;
    }
    if (Array.isArray(node)) {
      const list: PyValue[] = [];
      this.#register(list);
      node.forEach((item, i) => {
        list.push(this.decode(item, at(path, i)));
      });
      return list;
    }
    if (typeof node !== 'object') {
      throw new JsonPickleError(path, `expected JSON, got ${typeof node}`);
    }
    const entries = entriesOf(node);
    // An object carries other tags (py/state) beside py/object; anything else has exactly one.
    const tag = entries.some(([key]) => key === 'py/object')
      ? 'py/object'
      : entries.find(([key]) => key.startsWith('py/'))?.[0];
    if (tag === undefined) return this.#dict(entries, path);
    const single = (): unknown => {
      if (entries.length !== 1) {
        throw new JsonPickleError(path, `"${tag}" must be the only key, got ${entries.length} keys`);
      }
      return entries[0]?.[1];
    };
    switch (tag) {
      case 'py/id':
        return this.#reference(single(), path);
      case 'py/tuple':
        return new PyTuple(this.#items(single(), path));
      case 'py/set':
        return new PySet(this.#items(single(), path));
      case 'py/type': {
        const name = single();
        if (typeof name !== 'string') throw new JsonPickleError(path, 'py/type: expected a class name');
        return new PyType(name);
      }
      case 'py/b64':
        return new PyBytes(base64Bytes(single(), at(path, 'py/b64')));
      case 'py/reduce': {
        const reduce = new PyReduce();
        this.#register(reduce);
        reduce.parts.push(...this.#items(single(), at(path, 'py/reduce')));
        return reduce;
      }
      case 'py/object':
        return this.#object(entries, path);
      default:
        throw new JsonPickleError(
          at(path, tag),
          `the jsonpickle tag "${tag}" is not supported (only py/object, py/state, py/tuple, py/set, py/type, py/reduce, py/b64, py/id)`,
        );
    }
  }

  /** Items of a tuple, set or reduce: the wrapper array itself is not registered. */
  #items(value: unknown, path: string): PyValue[] {
    if (!Array.isArray(value)) throw new JsonPickleError(path, 'expected an array');
    return value.map((item, i) => this.decode(item, at(path, i)));
  }

  #reference(n: unknown, path: string): PyValue {
    if (!Number.isInteger(n) || (n as number) < 0 || (n as number) >= this.#refs.length) {
      throw new JsonPickleError(
        path,
        `py/id ${JSON.stringify(n)} refers to no earlier object (${this.#refs.length} registered so far)`,
      );
    }
    return this.#refs[n as number] as PyValue;
  }

  #dict(entries: [string, unknown][], path: string, register = true): PyDict {
    const dict = newPyDict();
    if (register) this.#register(dict);
    for (const [key, value] of entries) dict[key] = this.decode(value, at(path, key));
    return dict;
  }

  #object(entries: [string, unknown][], path: string): PyValue {
    const className = entries.find(([key]) => key === 'py/object')?.[1];
    if (typeof className !== 'string' || className === '') {
      throw new JsonPickleError(at(path, 'py/object'), 'expected a class name');
    }
    const object = new PyObject(className);
    const slot = this.#register(object);
    for (const [key, value] of entries) {
      if (key === 'py/object') continue;
      const where = at(path, key);
      if (key.startsWith('py/') && !OBJECT_TAGS.has(key)) {
        throw new JsonPickleError(where, `the jsonpickle tag "${key}" is not supported on a py/object`);
      }
      if (key === 'py/state') object.state = this.decode(value, where);
      else if (key === '__reduce__' && Array.isArray(value))
        object.attributes[key] = this.#reduceArgs(value, where);
      else if (key === '__dict__' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        // The __dict__ of a dict subclass (e.g. docker's DeviceRequest) is not numbered by the encoder.
        object.attributes[key] = this.#dict(entriesOf(value), where, false);
      } else object.attributes[key] = this.decode(value, where);
    }
    const special = specialize(object, path);
    if (special !== object) this.#refs[slot] = special;
    return special;
  }

  /** A handler's `__reduce__` pair: its arrays are written directly, not numbered. */
  #reduceArgs(value: unknown[], path: string): PyValue[] {
    return value.map((item, i) =>
      Array.isArray(item) ? this.#reduceArgs(item, at(path, i)) : this.decode(item, at(path, i)),
    );
  }
}

function utcOffsetOf(tz: PyValue, path: string): number | null {
  if (tz === null || tz === undefined) return null;
  // datetime.timezone(datetime.timedelta(days, seconds, microseconds)) as nested reduces.
  if (tz instanceof PyReduce && tz.parts[0] instanceof PyType && tz.parts[0].name === 'datetime.timezone') {
    const args = tz.parts[1];
    const delta = args instanceof PyTuple ? args.items[0] : undefined;
    if (delta instanceof PyReduce && delta.parts[0] instanceof PyType) {
      const d = delta.parts[1];
      if (delta.parts[0].name === 'datetime.timedelta' && d instanceof PyTuple) {
        const [days = 0, seconds = 0] = d.items;
        if (typeof days === 'number' && typeof seconds === 'number') return days * 86400 + seconds;
      }
    }
  }
  throw new JsonPickleError(path, 'datetime tzinfo: only fixed offsets (datetime.timezone) are supported');
}

/** Turns the bson ObjectId and datetime encodings into their own nodes. */
function specialize(object: PyObject, path: string): PyValue {
  if (object.className === 'bson.objectid.ObjectId') {
    const state = object.state;
    if (!(state instanceof PyBytes) || state.bytes.length !== 12) {
      throw new JsonPickleError(path, 'bson ObjectId: expected 12 bytes as py/state');
    }
    return new PyObjectId(Buffer.from(state.bytes).toString('hex'));
  }
  if (object.className === 'datetime.datetime' && Array.isArray(object.attributes.__reduce__)) {
    const where = at(path, '__reduce__');
    const [, args] = object.attributes.__reduce__ as PyValue[];
    if (!Array.isArray(args) || typeof args[0] !== 'string') {
      throw new JsonPickleError(where, 'datetime: expected [type, [base64 state, tzinfo?]]');
    }
    const b = base64Bytes(args[0], at(where, 1));
    if (b.length !== 10) throw new JsonPickleError(where, 'datetime: expected a 10-byte state');
    const fields = [
      ((b[0] as number) << 8) | (b[1] as number),
      (b[2] as number) & 0x7f,
      b[3] as number,
      b[4] as number,
      b[5] as number,
      b[6] as number,
      ((b[7] as number) << 16) | ((b[8] as number) << 8) | (b[9] as number),
    ] as const;
    return new PyDatetime(fields, utcOffsetOf(args[1] ?? null, at(where, 1)), args[1] ?? null);
  }
  return object;
}

/** A key that JavaScript objects would move first (a canonical array index). */
const INDEX_KEY = /"(?:0|[1-9]\d*)"\s*:/;

function fastParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseOrderedJson(text); // for its error, which names the offset
  }
}

/**
 * Decodes one jsonpickle-encoded value (already parsed JSON, objects as plain objects or `Map`s)
 * into typed nodes. `py/id` numbering starts afresh for each call, as jsonpickle numbers each
 * encoded value (the body, each result hook) on its own.
 * @param value - the parsed JSON
 * @param path - the JSON path of `value`, for errors
 * @returns the decoded value
 * @throws {@link JsonPickleError} naming the path of an unsupported tag or a dangling `py/id`
 */
export function decodeJsonPickle(value: unknown, path = ''): PyValue {
  return new Decoder().decode(value, path);
}

/**
 * Parses and decodes jsonpickle text, keeping object key order (which fixes `py/id` numbering).
 * @param text - the JSON text
 * @param path - the JSON path of the text, for errors
 * @returns the decoded value
 * @throws {@link JsonPickleError} on malformed JSON, an unsupported tag or a dangling `py/id`
 */
export function decodeJsonPickleText(text: string, path = ''): PyValue {
  let parsed: OrderedJson | unknown;
  try {
    // JSON.parse keeps key order unless a key looks like an array index ("10"): only then, or
    // when escapes could spell one, is the slower order-keeping parser needed.
    parsed = INDEX_KEY.test(text) || text.includes('\\u') ? parseOrderedJson(text) : fastParse(text);
  } catch (error) {
    if (error instanceof JsonPickleError && path) throw new JsonPickleError(path, error.message);
    throw error;
  }
  return decodeJsonPickle(parsed, path);
}
