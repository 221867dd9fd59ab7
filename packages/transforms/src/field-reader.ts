import { isAbsolute, resolve } from 'node:path';
import { SpecValidationError } from './errors.ts';
import { relativePathProblem } from './paths.ts';

/** Joins a JSON path and a field name: `a.b`, `a[2]`. */
export function fieldPath(path: string, name: string | number): string {
  if (typeof name === 'number') return `${path}[${name}]`;
  return path ? `${path}.${name}` : name;
}

/**
 * Reads and validates the fields of one serialized transform. Every error names the field's JSON
 * path, what was expected and what came, e.g. `containerArgs[2].volume.mode: expected "rw" | "ro", got "rx"`.
 */
export class FieldReader {
  /** The JSON path of the transform being read, e.g. `containerArgs[2]`. */
  readonly path: string;
  readonly #fields: Readonly<Record<string, unknown>>;
  readonly #baseDir: string | undefined;

  /**
   * @param fields - the transform's fields (nested transforms already revived)
   * @param path - its JSON path
   * @param options - `baseDir`: where relative host paths are taken from (see {@link FieldReader.hostPath})
   */
  constructor(fields: Readonly<Record<string, unknown>>, path: string, options: { baseDir?: string } = {}) {
    this.#fields = fields;
    this.path = path;
    this.#baseDir = options.baseDir;
  }

  /** The JSON path of field `name`. */
  at(name: string): string {
    return fieldPath(this.path, name);
  }

  /** The raw value of `name` (validated by the caller). */
  value(name: string): unknown {
    return this.#fields[name];
  }

  /** Whether `name` is present (not undefined). */
  has(name: string): boolean {
    return this.#fields[name] !== undefined;
  }

  /** Throws a {@link SpecValidationError} for field `name`. */
  fail(name: string, expected: string): never {
    throw new SpecValidationError(this.at(name), expected, this.#fields[name]);
  }

  /** A required string. */
  string(name: string): string {
    const value = this.#fields[name];
    if (typeof value !== 'string') this.fail(name, 'a string');
    return value;
  }

  /** A non-empty string. */
  nonEmptyString(name: string): string {
    const value = this.#fields[name];
    if (typeof value !== 'string' || value.length === 0) this.fail(name, 'a non-empty string');
    return value;
  }

  /** A string, or undefined when absent. */
  optionalString(name: string): string | undefined {
    return this.has(name) ? this.string(name) : undefined;
  }

  /** A finite number. */
  number(name: string): number {
    const value = this.#fields[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(name, 'a finite number');
    return value;
  }

  /** An integer within [min, max]. */
  integer(
    name: string,
    min: number = Number.MIN_SAFE_INTEGER,
    max: number = Number.MAX_SAFE_INTEGER,
  ): number {
    const value = this.#fields[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(name, `an integer from ${min} to ${max}`);
    }
    return value;
  }

  /** A boolean; `fallback` when absent (required when no fallback is given). */
  boolean(name: string, fallback?: boolean): boolean {
    const value = this.#fields[name];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(name, 'true or false');
    return value;
  }

  /** One of `values`; `fallback` when absent. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback?: T): T {
    const value = this.#fields[name];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || !values.includes(value as T)) {
      this.fail(name, values.map((v) => JSON.stringify(v)).join(' | '));
    }
    return value as T;
  }

  /** A relative path that stays inside its root: not absolute, no leading `..`, no NUL. */
  relativePath(name: string): string {
    const value = this.#fields[name];
    if (typeof value !== 'string') this.fail(name, 'a relative path');
    const problem = relativePathProblem(value);
    if (problem) this.fail(name, `a relative path inside the volume (it ${problem})`);
    return value;
  }

  /** An absolute path. */
  absolutePath(name: string): string {
    const value = this.#fields[name];
    if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0'))
      this.fail(name, 'an absolute path');
    return value;
  }

  /**
   * A path on the host: absolute, or relative to the reader's `baseDir` when it has one (a spec
   * read from a file). Without a `baseDir` (e.g. a spec from a queue) a relative path is refused:
   * it would be resolved against whatever directory the process happens to run in.
   */
  hostPath(name: string): string {
    const value = this.value(name);
    if (typeof value !== 'string' || value === '' || value.includes('\0'))
      this.fail(name, 'an absolute path');
    if (isAbsolute(value)) return value;
    if (this.#baseDir === undefined) this.fail(name, 'an absolute path');
    return resolve(this.#baseDir, value);
  }

  /** An instance of `cls` (a revived transform); `fallback` when absent. */
  instance<T>(name: string, cls: abstract new (...args: never[]) => T, fallback?: T): T {
    const value = this.#fields[name];
    if (value === undefined && fallback !== undefined) return fallback;
    if (!(value instanceof cls)) this.fail(name, `a ${cls.name} transform`);
    return value as T;
  }

  /** An object whose values are all strings (e.g. headers). */
  record(name: string): Record<string, string> {
    const value = this.#fields[name];
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(name, 'an object of strings');
    for (const [key, v] of Object.entries(value)) {
      if (typeof v !== 'string') throw new SpecValidationError(fieldPath(this.at(name), key), 'a string', v);
    }
    return { ...(value as Record<string, string>) };
  }

  /** An array, each element read by `read` (given a reader whose path is the array's). */
  array<T>(name: string, read: (value: unknown, path: string) => T): T[] {
    const value = this.#fields[name];
    if (!Array.isArray(value)) this.fail(name, 'an array');
    return value.map((element, index) => read(element, fieldPath(this.at(name), index)));
  }

  /** `read(this, name)` when the field is present, else undefined. */
  optional<T>(name: string, read: (reader: FieldReader, name: string) => T): T | undefined {
    return this.has(name) ? read(this, name) : undefined;
  }
}
