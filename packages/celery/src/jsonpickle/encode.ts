import { JsonPickleError } from './errors.ts';
import {
  isPyDict,
  PyBytes,
  PyDatetime,
  PyObject,
  PyObjectId,
  PyReduce,
  PySet,
  PyTuple,
  PyType,
  type PyValue,
} from './nodes.ts';

/** Plain JSON as jsonpickle writes it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function datetimeState(dt: PyDatetime): string {
  const [y, mo, d, h, mi, s, us] = dt.fields;
  return b64(
    Uint8Array.of(y >> 8, y & 0xff, mo, d, h, mi, s, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff),
  );
}

/** Writes typed nodes as jsonpickle does, numbering registered objects in pre-order. */
class Encoder {
  readonly #ids = new Map<object, number>();
  #count = 0;

  /** Returns `{py/id}` for an object met before, else registers it and returns undefined. */
  #seen(value: object): JsonValue | undefined {
    const id = this.#ids.get(value);
    if (id !== undefined) return { 'py/id': id };
    this.#ids.set(value, this.#count++);
    return undefined;
  }

  encode(value: PyValue, path: string): JsonValue {
    if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new JsonPickleError(path, 'cannot encode NaN or Infinity');
      return value;
    }
    if (Array.isArray(value)) {
      const ref = this.#seen(value);
      if (ref) return ref;
      return value.map((item, i) => this.encode(item, `${path}[${i}]`));
    }
    if (value instanceof PyTuple) return { 'py/tuple': this.#items(value.items, path) };
    if (value instanceof PySet) return { 'py/set': this.#items(value.items, path) };
    if (value instanceof PyType) return { 'py/type': value.name };
    if (value instanceof PyBytes) return { 'py/b64': b64(value.bytes) };
    if (value instanceof PyReduce) {
      const ref = this.#seen(value);
      if (ref) return ref;
      return { 'py/reduce': this.#items(value.parts, `${path}["py/reduce"]`) };
    }
    if (value instanceof PyObjectId) {
      const ref = this.#seen(value);
      if (ref) return ref;
      return {
        'py/object': 'bson.objectid.ObjectId',
        'py/state': { 'py/b64': b64(Buffer.from(value.hex, 'hex')) },
      };
    }
    if (value instanceof PyDatetime) return this.#datetime(value, path);
    if (value instanceof PyObject) return this.#object(value, path);
    if (isPyDict(value)) {
      const ref = this.#seen(value);
      if (ref) return ref;
      return this.#dict(value, path);
    }
    throw new JsonPickleError(
      path,
      `cannot encode a ${(value as object)?.constructor?.name ?? typeof value}`,
    );
  }

  #items(items: PyValue[], path: string): JsonValue[] {
    return items.map((item, i) => this.encode(item, `${path}[${i}]`));
  }

  #dict(dict: Record<string, PyValue>, path: string): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(dict)) {
      if (key.startsWith('py/'))
        throw new JsonPickleError(path, `a dict key may not start with "py/": ${key}`);
      Object.defineProperty(out, key, {
        value: this.encode(item, `${path}.${key}`),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  #object(object: PyObject, path: string): JsonValue {
    const ref = this.#seen(object);
    if (ref) return ref;
    const out: { [key: string]: JsonValue } = { 'py/object': object.className };
    for (const [key, item] of Object.entries(object.attributes)) {
      const where = `${path}.${key}`;
      if (key.startsWith('py/'))
        throw new JsonPickleError(where, 'an attribute name may not start with "py/"');
      let encoded: JsonValue;
      if (key === '__dict__' && isPyDict(item)) encoded = this.#dict(item, where);
      else if (key === '__reduce__' && Array.isArray(item)) encoded = this.#reduceArgs(item, where);
      else encoded = this.encode(item, where);
      Object.defineProperty(out, key, {
        value: encoded,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    if (object.state !== undefined) out['py/state'] = this.encode(object.state, `${path}["py/state"]`);
    return out;
  }

  #reduceArgs(items: PyValue[], path: string): JsonValue[] {
    return items.map((item, i) =>
      Array.isArray(item) ? this.#reduceArgs(item, `${path}[${i}]`) : this.encode(item, `${path}[${i}]`),
    );
  }

  #datetime(dt: PyDatetime, path: string): JsonValue {
    const ref = this.#seen(dt);
    if (ref) return ref;
    const args: JsonValue[] = [datetimeState(dt)];
    if (dt.tzinfo !== null) args.push(this.encode(dt.tzinfo, `${path}.__reduce__[1][1]`));
    return { 'py/object': 'datetime.datetime', __reduce__: [{ 'py/type': 'datetime.datetime' }, args] };
  }
}

/**
 * Encodes typed nodes as jsonpickle would: a node met twice (the same JS object) is written once
 * and then as `{"py/id": n}`, numbered from 0 in pre-order for this one value.
 * @param value - the value
 * @returns plain JSON, ready for `JSON.stringify`
 * @throws {@link JsonPickleError} on a value that has no jsonpickle form
 */
export function encodeJsonPickle(value: PyValue): JsonValue {
  return new Encoder().encode(value, '');
}
