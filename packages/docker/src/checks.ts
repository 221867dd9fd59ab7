import { SpecValidationError } from '@girder-worker/transforms';

/** Throws a {@link SpecValidationError} naming the field, what was expected and what came. */
export function fail(path: string, expected: string, received: unknown): never {
  throw new SpecValidationError(path, expected, received);
}

/** A boolean. */
export function checkBoolean(value: unknown, path: string): boolean {
  return typeof value === 'boolean' ? value : fail(path, 'true or false', value);
}

/** A string, or an array of strings (a string is one element). */
export function checkStringOrList(value: unknown, path: string): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    fail(path, 'a string or an array of strings', value);
  return [...value];
}

/** An array (its elements checked later, where they are used). */
export function checkArray(value: unknown, path: string): readonly unknown[] {
  return Array.isArray(value) ? value : fail(path, 'an array', value);
}

/** An absolute path without NUL. */
export function checkAbsolutePath(value: unknown, path: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('\0'))
    fail(path, 'an absolute path', value);
  return value;
}

/** An instance of `cls`. */
export function checkInstance<T>(
  value: unknown,
  path: string,
  cls: abstract new (...args: never[]) => T,
  expected: string,
): T {
  return value instanceof cls ? value : fail(path, expected, value);
}
