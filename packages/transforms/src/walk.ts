import { fieldPath } from './field-reader.ts';
import { Transform } from './transform.ts';

/** True for `{}`-style objects (not class instances, arrays, or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Rebuilds `value` with every transform replaced by `fn(transform, path)`, through nested arrays
 * and plain objects (transforms are not entered). Transforms are visited in order, one at a time.
 *
 * @param value - any JSON-like structure holding transforms
 * @param fn - the replacement for each transform (may be async)
 * @param path - JSON path of `value`, used in the paths handed to `fn`
 * @returns the rebuilt structure
 */
export async function walk(
  value: unknown,
  fn: (transform: Transform, path: string) => unknown | Promise<unknown>,
  path = '',
): Promise<unknown> {
  if (value instanceof Transform) return fn(value, path);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(await walk(value[i], fn, fieldPath(path, i)));
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = await walk(v, fn, fieldPath(path, key));
    return out;
  }
  return value;
}

/**
 * Every transform reachable from `value` — through arrays, plain objects, and other transforms'
 * fields (`toJSON()`) — each once, children before the transforms that hold them (post-order).
 */
export function findTransforms(value: unknown): Transform[] {
  const found: Transform[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Transform) {
      for (const field of Object.values(v.toJSON())) visit(field);
      found.push(v);
    } else if (Array.isArray(v)) {
      for (const element of v) visit(element);
    } else if (isPlainObject(v)) {
      for (const field of Object.values(v)) visit(field);
    }
  };
  visit(value);
  return found;
}
