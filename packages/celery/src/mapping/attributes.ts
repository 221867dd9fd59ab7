import { isPyDict, type PyObject, PyObjectId, type PyValue } from '../jsonpickle/nodes.ts';
import { MappingError } from './errors.ts';

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'a dict';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Path of a key below `path`, as the decoder writes it. */
export function keyPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

/** Throws a {@link MappingError} saying what was expected at `path` and what came. */
export function expected(path: string, what: string, got: unknown): never {
  throw new MappingError(path, `expected ${what}, got ${describe(got)}`);
}

/**
 * Typed, checked access to a pickled object's attributes. Every attribute must be declared
 * (read or listed as ignored): an attribute this worker does not know is refused, by name.
 */
export class Attributes {
  readonly #object: PyObject;
  /** The object's JSON path. */
  readonly path: string;
  readonly #read = new Set<string>();

  /**
   * @param object - the pickled object
   * @param path - its JSON path
   */
  constructor(object: PyObject, path: string) {
    this.#object = object;
    this.path = path;
  }

  /** @returns the raw attribute (undefined when absent); marks it read */
  raw(key: string): PyValue | undefined {
    this.#read.add(key);
    return this.#object.attributes[key];
  }

  /** @returns the path of an attribute */
  at(key: string): string {
    return keyPath(this.path, key);
  }

  /** A string attribute (an ObjectId counts as its hex string). */
  string(key: string): string {
    const value = this.raw(key);
    if (value instanceof PyObjectId) return value.hex;
    return typeof value === 'string' ? value : expected(this.at(key), 'a string', value);
  }

  /** A string attribute that may be None or absent. */
  optionalString(key: string): string | undefined {
    const value = this.raw(key);
    if (value === null || value === undefined) return undefined;
    if (value instanceof PyObjectId) return value.hex;
    return typeof value === 'string' ? value : expected(this.at(key), 'a string or None', value);
  }

  /** A boolean attribute; `fallback` when absent. */
  boolean(key: string, fallback?: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined && fallback !== undefined) return fallback;
    return typeof value === 'boolean' ? value : expected(this.at(key), 'True or False', value);
  }

  /** An integer attribute that may be None or absent. */
  optionalInteger(key: string): number | undefined {
    const value = this.raw(key);
    if (value === null || value === undefined) return undefined;
    return Number.isInteger(value) ? (value as number) : expected(this.at(key), 'an integer or None', value);
  }

  /** Requires an attribute to be None (or absent): state this worker would otherwise ignore. */
  none(key: string, why: string): void {
    const value = this.raw(key);
    if (value !== null && value !== undefined && value !== false) {
      throw new MappingError(this.at(key), `expected None (${why}), got ${describe(value)}`);
    }
  }

  /** Requires an attribute to be an empty dict (or absent), e.g. `upload_kwargs`. */
  emptyDict(key: string, why: string): void {
    const value = this.raw(key);
    if (value === undefined || value === null) return;
    if (!isPyDict(value)) expected(this.at(key), 'a dict', value);
    const keys = Object.keys(value);
    if (keys.length > 0) throw new MappingError(this.at(key), `${why}; got keys ${keys.join(', ')}`);
  }

  /** Marks attributes as known and deliberately unused (e.g. state a transform fills while running). */
  ignore(...keys: string[]): void {
    for (const key of keys) this.#read.add(key);
  }

  /**
   * Refuses any attribute not read or ignored.
   * @throws {@link MappingError} naming the first unknown attribute
   */
  done(): void {
    for (const key of Object.keys(this.#object.attributes)) {
      if (!this.#read.has(key)) {
        throw new MappingError(
          keyPath(this.path, key),
          `unknown attribute '${key}' of ${this.#object.className}: this worker does not know what it means`,
        );
      }
    }
    if (this.#object.state !== undefined) {
      throw new MappingError(
        this.path,
        `${this.#object.className} carries a py/state this worker does not map`,
      );
    }
  }
}
