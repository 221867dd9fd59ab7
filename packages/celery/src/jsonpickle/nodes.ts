/**
 * Typed nodes for the Python values a jsonpickle document describes. Decoding yields these and
 * nothing else: no class named in a message is ever looked up, imported or run.
 */

/** A Python dict with string keys (a JSON object that carries no `py/` tag). */
export type PyDict = { [key: string]: PyValue };

/** Any decoded Python value. A Python list is a JS array; a dict a plain (null-prototype) object. */
export type PyValue =
  | null
  | boolean
  | number
  | string
  | PyValue[]
  | PyDict
  | PyTuple
  | PySet
  | PyObject
  | PyType
  | PyReduce
  | PyBytes
  | PyObjectId
  | PyDatetime;

/** A Python tuple (`{"py/tuple": [...]}`). */
export class PyTuple {
  /** The items. */
  readonly items: PyValue[];
  /** @param items - the items */
  constructor(items: PyValue[] = []) {
    this.items = items;
  }
}

/** A Python set (`{"py/set": [...]}`). */
export class PySet {
  /** The members, in document order. */
  readonly items: PyValue[];
  /** @param items - the members */
  constructor(items: PyValue[] = []) {
    this.items = items;
  }
}

/**
 * An instance of a named class (`{"py/object": "module.Class", ...attributes}`). Only the name
 * is kept: callers map it through an explicit table.
 */
export class PyObject {
  /** The fully qualified class name, e.g. `girder_worker.docker.transforms.VolumePath`. */
  readonly className: string;
  /** The instance `__dict__` (and, for a dict subclass, its items plus `__dict__`). */
  readonly attributes: PyDict;
  /** The `py/state` given to `__setstate__`, if any. */
  state: PyValue | undefined;
  /**
   * @param className - the fully qualified class name
   * @param attributes - the attributes (a null-prototype object is made when omitted)
   * @param state - the `py/state`, if any
   */
  constructor(className: string, attributes: PyDict = Object.create(null), state?: PyValue) {
    this.className = className;
    this.attributes = attributes;
    this.state = state;
  }
}

/** A class object (`{"py/type": "module.Class"}`), kept by name only. */
export class PyType {
  /** The fully qualified class name. */
  readonly name: string;
  /** @param name - the fully qualified class name */
  constructor(name: string) {
    this.name = name;
  }
}

/** A `__reduce__` result (`{"py/reduce": [callable, args, state?, …]}`), never called. */
export class PyReduce {
  /** The callable, args tuple and optional state, listitems, dictitems. */
  readonly parts: PyValue[];
  /** @param parts - the reduce tuple's items */
  constructor(parts: PyValue[] = []) {
    this.parts = parts;
  }
}

/** Bytes (`{"py/b64": "..."}`). */
export class PyBytes {
  /** The bytes. */
  readonly bytes: Uint8Array;
  /** @param bytes - the bytes */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

/** A bson `ObjectId` (`py/object` `bson.objectid.ObjectId` with 12 bytes as `py/state`). */
export class PyObjectId {
  /** The 24 lowercase hex digits. */
  readonly hex: string;
  /** @param hex - 24 hex digits */
  constructor(hex: string) {
    this.hex = hex;
  }
  /** @returns the 24 hex digits, as Python's `str(ObjectId)` */
  toString(): string {
    return this.hex;
  }
}

/** A `datetime.datetime` (jsonpickle's datetime handler). */
export class PyDatetime {
  /** Year, month (1–12), day, hour, minute, second, microsecond, as Python holds them. */
  readonly fields: readonly [number, number, number, number, number, number, number];
  /** The UTC offset in seconds when the datetime is aware (`tzinfo` a fixed timezone), else null. */
  readonly utcOffsetSeconds: number | null;
  /** The decoded `tzinfo` node (kept so a later `py/id` to it stays the same object). */
  readonly tzinfo: PyValue;
  /**
   * @param fields - year, month, day, hour, minute, second, microsecond
   * @param utcOffsetSeconds - the offset of an aware datetime, or null when naive
   * @param tzinfo - the decoded tzinfo node; built from the offset when omitted
   */
  constructor(
    fields: readonly [number, number, number, number, number, number, number],
    utcOffsetSeconds: number | null,
    tzinfo?: PyValue,
  ) {
    this.fields = fields;
    this.utcOffsetSeconds = utcOffsetSeconds;
    this.tzinfo = tzinfo ?? (utcOffsetSeconds === null ? null : fixedOffset(utcOffsetSeconds));
  }
  /** @returns ISO 8601 text with microseconds and, when aware, the offset */
  toISOString(): string {
    const [y, mo, d, h, mi, s, us] = this.fields;
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    const base = `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}.${p(us, 6)}`;
    if (this.utcOffsetSeconds === null) return base;
    const off = this.utcOffsetSeconds;
    const sign = off < 0 ? '-' : '+';
    const abs = Math.abs(off);
    return `${base}${sign}${p(Math.floor(abs / 3600))}:${p(Math.floor((abs % 3600) / 60))}`;
  }
}

/** A new empty dict (null prototype, so keys such as `__proto__` are plain keys). */
export function newPyDict(): PyDict {
  return Object.create(null) as PyDict;
}

/**
 * @param value - a decoded value
 * @returns whether it is a dict (a plain or null-prototype object, not one of the node classes)
 */
export function isPyDict(value: unknown): value is PyDict {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function fixedOffset(seconds: number): PyReduce {
  const days = Math.floor(seconds / 86400);
  return new PyReduce([
    new PyType('datetime.timezone'),
    new PyTuple([
      new PyReduce([new PyType('datetime.timedelta'), new PyTuple([days, seconds - days * 86400, 0])]),
    ]),
  ]);
}
