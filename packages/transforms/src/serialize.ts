import { isSpecValidationError, SpecValidationError } from './errors.ts';
import { FieldReader, fieldPath } from './field-reader.ts';
import type { TransformRegistry } from './registry.ts';
import { Transform } from './transform.ts';
import { TemporaryVolume } from './volumes.ts';
import { isPlainObject } from './walk.ts';

/**
 * How deeply a run description may nest arrays, objects and transforms. `revive` refuses deeper
 * JSON with a {@link SpecValidationError} instead of exhausting the stack.
 */
export const MAX_SPEC_DEPTH = 256;

const TRANSFORM = '$transform';
const ID = '$id';
const REF = '$ref';

function isDefaultVolume(value: unknown): boolean {
  return value instanceof TemporaryVolume && value.isDefault;
}

/**
 * Writes `value` as plain JSON: a transform becomes `{"$transform": "<Kind>", ...fields}`. A
 * transform met more than once is written once with an `"$id"` and then as `{"$ref": id}`, so
 * identity survives (a volume referenced by `volumes` and by a VolumePath stays one volume).
 *
 * @throws {@link SpecValidationError} on cycles and on values JSON cannot carry (functions,
 * class instances that are not transforms, non-finite numbers), naming the path
 */
export function serialize(value: unknown): unknown {
  const counts = new Map<Transform, number>();
  const entered = new Set<unknown>();
  const count = (v: unknown): void => {
    if (v instanceof Transform) {
      const n = counts.get(v) ?? 0;
      counts.set(v, n + 1);
      if (n > 0 || entered.has(v)) return;
      entered.add(v);
      for (const field of Object.values(v.toJSON())) count(field);
    } else if ((Array.isArray(v) || isPlainObject(v)) && !entered.has(v)) {
      // Cycles are reported by the writing pass, with their path.
      entered.add(v);
      for (const field of Object.values(v)) count(field);
    }
  };
  count(value);

  const ids = new Map<Transform, number>();
  const stack = new Set<unknown>();
  const write = (v: unknown, path: string): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new SpecValidationError(path, 'a finite number', v);
      return v;
    }
    if (typeof v !== 'object') throw new SpecValidationError(path, 'a JSON value', v);
    if (stack.has(v)) throw new SpecValidationError(path, 'no cycles', 'a reference to an enclosing value');
    if (v instanceof Transform) {
      const known = ids.get(v);
      if (known !== undefined) return { [REF]: known };
      const shared = !isDefaultVolume(v) && (counts.get(v) ?? 0) > 1;
      const out: Record<string, unknown> = { [TRANSFORM]: v.kind };
      if (shared) {
        const id = ids.size + 1;
        ids.set(v, id);
        out[ID] = id;
      }
      stack.add(v);
      for (const [key, field] of Object.entries(v.toJSON())) {
        if (field !== undefined) out[key] = write(field, fieldPath(path, key));
      }
      stack.delete(v);
      return out;
    }
    stack.add(v);
    try {
      if (Array.isArray(v)) return v.map((element, i) => write(element, fieldPath(path, i)));
      if (!isPlainObject(v)) throw new SpecValidationError(path, 'a plain object, array or transform', v);
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(v)) {
        if (key === TRANSFORM || key === REF || key === ID) {
          throw new SpecValidationError(fieldPath(path, key), 'no reserved "$" keys in plain data', key);
        }
        if (field !== undefined) out[key] = write(field, fieldPath(path, key));
      }
      return out;
    } finally {
      stack.delete(v);
    }
  };
  return write(value, '');
}

/** Options of {@link revive}. */
export interface ReviveOptions {
  /** JSON path of `json`, for error messages (e.g. `containerArgs`). @default '' */
  path?: string;
  /**
   * Directory that relative host paths (fields read with `FieldReader.hostPath`) are resolved
   * against, e.g. a spec file's folder. Without it, relative host paths are refused.
   * @default none
   */
  baseDir?: string;
}

/**
 * Rebuilds the values `serialize` wrote, with transform instances from `registry`; `$ref`s become
 * the same instance as their `$id`. Every field is validated.
 *
 * @param json - parsed JSON
 * @param registry - the kinds to accept
 * @param options - the JSON path of `json` for error messages (a string, or `{ path }`), and the
 * `baseDir` of relative host paths
 * @throws {@link SpecValidationError} naming the path, the expectation and what came — for an
 * unknown kind, an unknown or bad field, a dangling `$ref`, nesting deeper than
 * {@link MAX_SPEC_DEPTH}
 */
export function revive(
  json: unknown,
  registry: TransformRegistry,
  options: string | ReviveOptions = '',
): unknown {
  const { path = '', baseDir } = typeof options === 'string' ? { path: options } : options;
  const readerOptions = baseDir === undefined ? {} : { baseDir };
  const byId = new Map<number, Transform>();
  const read = (v: unknown, at: string, depth: number): unknown => {
    if (depth > MAX_SPEC_DEPTH && typeof v === 'object' && v !== null) {
      throw new SpecValidationError(
        shortPath(at),
        `JSON nested at most ${MAX_SPEC_DEPTH} levels deep`,
        `nesting deeper than ${MAX_SPEC_DEPTH} levels`,
      );
    }
    if (Array.isArray(v)) return v.map((element, i) => read(element, fieldPath(at, i), depth + 1));
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'number' && !Number.isFinite(v))
        throw new SpecValidationError(at, 'a finite number', v);
      return v;
    }
    if (!isPlainObject(v)) throw new SpecValidationError(at, 'JSON data', v);
    if (REF in v) {
      const id = v[REF];
      const target = typeof id === 'number' ? byId.get(id) : undefined;
      if (!target)
        throw new SpecValidationError(fieldPath(at, REF), 'the $id of a transform written earlier', id);
      return target;
    }
    if (!(TRANSFORM in v)) {
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(v)) out[key] = read(field, fieldPath(at, key), depth + 1);
      return out;
    }
    const kindName = v[TRANSFORM];
    const kind = typeof kindName === 'string' ? registry.get(kindName) : undefined;
    if (!kind) {
      const known = registry.names();
      throw new SpecValidationError(
        fieldPath(at, TRANSFORM),
        `a known transform kind (${known.length > 12 ? `${known.slice(0, 12).join(' | ')} | …` : known.join(' | ')})`,
        kindName,
      );
    }
    const id = v[ID];
    if (id !== undefined && (typeof id !== 'number' || !Number.isInteger(id) || byId.has(id))) {
      throw new SpecValidationError(fieldPath(at, ID), 'a unique integer id', id);
    }
    const fields: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(v)) {
      if (key !== TRANSFORM && key !== ID) fields[key] = read(field, fieldPath(at, key), depth + 1);
    }
    let instance: Transform;
    const reader = new FieldReader(fields, at, readerOptions);
    try {
      instance = kind.fromJSON(reader);
    } catch (error) {
      // Constructors name bare fields ("mode"); anchor them at this transform's path.
      if (isSpecValidationError(error) && at && !error.path.startsWith(at)) {
        throw new SpecValidationError(
          fieldPath(at, error.path),
          error.expected,
          fields[error.path.split(/[.[]/)[0] ?? ''],
        );
      }
      throw error;
    }
    refuseUnknownFields(reader, kind.kind, fields);
    if (typeof id === 'number') byId.set(id, instance);
    return instance;
  };
  return read(json, path, 0);
}

/** Throws for the first field the kind did not ask about, naming its path and the known ones. */
function refuseUnknownFields(reader: FieldReader, kind: string, fields: Record<string, unknown>): void {
  const [unknown] = reader.unknownFields();
  if (unknown === undefined) return;
  const known = reader.knownFields().sort();
  throw new SpecValidationError(
    fieldPath(reader.path, unknown),
    `no such field on a ${kind} (it has ${known.length > 0 ? known.join(', ') : 'no fields'})`,
    fields[unknown],
  );
}

/** A JSON path short enough for a message: its start and its end. */
function shortPath(path: string): string {
  return path.length > 120 ? `${path.slice(0, 80)}…${path.slice(-30)}` : path;
}
