import { restError } from './rest-error.ts';

/**
 * Internal: a route's parameters (query string merged with a urlencoded form body), read and
 * coerced as girder/api/describe.py does, with Girder's error messages.
 */
export class Params {
  readonly raw: Record<string, string>;

  constructor(raw: Record<string, string>) {
    this.raw = raw;
  }

  /** Whether the parameter was passed. */
  has(name: string): boolean {
    return Object.hasOwn(this.raw, name);
  }

  /** A string parameter; `required` throws 'Parameter "x" is required.' when absent. */
  string(name: string, o: { required: true; strip?: boolean }): string;
  string(name: string, o?: { required?: false; strip?: boolean }): string | undefined;
  string(name: string, o: { required?: boolean; strip?: boolean } = {}): string | undefined {
    const value = this.raw[name];
    if (value === undefined) {
      if (o.required) throw restError(`Parameter "${name}" is required.`);
      return undefined;
    }
    return o.strip ? value.trim() : value;
  }

  /** An integer parameter ('Invalid value for integer parameter x: y.'). */
  int(name: string, o: { required: true }): number;
  int(name: string, o?: { required?: false; default?: number }): number | undefined;
  int(name: string, o: { required?: boolean; default?: number } = {}): number | undefined {
    const value = this.raw[name];
    if (value === undefined) {
      if (o.required) throw restError(`Parameter "${name}" is required.`);
      return o.default;
    }
    if (!/^\s*[-+]?\d+\s*$/.test(value))
      throw restError(`Invalid value for integer parameter ${name}: ${value}.`);
    return Number.parseInt(value, 10);
  }

  /** A number parameter ('Invalid value for numeric parameter x: y.'). */
  number(name: string): number | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value.trim() === '' || Number.isNaN(n))
      throw restError(`Invalid value for numeric parameter ${name}: ${value}.`);
    return n;
  }

  /** A boolean parameter, true for "true", "on", "1", "yes" (girder `toBool`). */
  bool(name: string, fallback: boolean): boolean;
  bool(name: string, fallback?: undefined): boolean | undefined;
  bool(name: string, fallback?: boolean): boolean | undefined {
    const value = this.raw[name];
    if (value === undefined) return fallback;
    return ['true', 'on', '1', 'yes'].includes(value.trim().toLowerCase());
  }

  /** An enumerated string ('Invalid value for x: "y". Allowed values: a, b.'). */
  enum<T extends string>(
    name: string,
    allowed: readonly T[],
    o: { required?: boolean; default?: T } = {},
  ): T | undefined {
    const value = this.raw[name];
    if (value === undefined) {
      if (o.required) throw restError(`Parameter "${name}" is required.`);
      return o.default;
    }
    if (!(allowed as readonly string[]).includes(value)) {
      throw restError(`Invalid value for ${name}: "${value}". Allowed values: ${allowed.join(', ')}.`);
    }
    return value as T;
  }

  /** A JSON parameter of any type ('Invalid JSON object for parameter x: …'); absent or empty → undefined. */
  json(name: string): unknown {
    const value = this.raw[name];
    if (value === undefined || value === '') return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      throw restError(`Invalid JSON object for parameter ${name}: ${(error as Error).message}`);
    }
  }

  /** A JSON object parameter ('Invalid JSON object for parameter x: …'). */
  jsonObject(name: string): Record<string, unknown> | undefined {
    const value = this.raw[name];
    if (value === undefined || value === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw restError(`Invalid JSON object for parameter ${name}: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw restError(`Parameter ${name} must be a JSON object.`);
    }
    return parsed as Record<string, unknown>;
  }

  /** Paging parameters as girder/api/rest.py `getPagingParameters` (limit 50, offset 0, sortdir 1). */
  paging(defaultSort: string): { limit: number; offset: number; sort: string; sortdir: 1 | -1 } {
    const parse = (name: string, fallback: number): number => {
      const value = this.raw[name];
      if (value === undefined) return fallback;
      if (!/^\s*[-+]?\d+\s*$/.test(value))
        throw restError(`Invalid value for integer parameter ${name}: ${value}.`);
      return Number.parseInt(value, 10);
    };
    const limit = parse('limit', 50);
    const offset = parse('offset', 0);
    const sortdir = parse('sortdir', 1);
    if (sortdir !== 1 && sortdir !== -1)
      throw restError(`Invalid value for sortdir: "${sortdir}". Allowed values: 1, -1.`);
    return { limit, offset, sort: (this.raw.sort ?? defaultSort).trim(), sortdir };
  }
}

/**
 * Internal: sorts and pages a list as a Mongo find with sort/skip/limit (limit 0 = no limit).
 *
 * @param docs - The matching documents.
 * @param paging - From {@link Params.paging}.
 * @returns The page and the total count (for `Girder-Total-Count`).
 */
export function pageOf<T extends object>(
  docs: T[],
  paging: { limit: number; offset: number; sort: string; sortdir: 1 | -1 },
): { page: T[]; total: number } {
  const key = paging.sort;
  const value = (doc: T): unknown => {
    const record = doc as Record<string, unknown>;
    if (key === 'lowerName' && typeof record.name === 'string') return record.name.toLowerCase();
    return record[key];
  };
  const sorted = docs
    .map((doc, index) => ({ doc, index, v: value(doc) }))
    .sort((a, b) => compareValues(a.v, b.v) * paging.sortdir || a.index - b.index)
    .map((e) => e.doc);
  const start = Math.max(0, paging.offset);
  const page = paging.limit > 0 ? sorted.slice(start, start + paging.limit) : sorted.slice(start);
  return { page, total: docs.length };
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
