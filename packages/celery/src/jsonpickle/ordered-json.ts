import { JsonPickleError } from './errors.ts';

/**
 * JSON parsed with every object as a `Map`, so keys keep document order even when they look like
 * integers (`JSON.parse` moves those first, which would change jsonpickle's `py/id` numbering).
 */
export type OrderedJson = null | boolean | number | string | OrderedJson[] | Map<string, OrderedJson>;

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Parses JSON text keeping object key order.
 * @param text - the JSON text
 * @returns the value, objects as `Map`s
 * @throws {@link JsonPickleError} on malformed JSON, naming the offset
 */
export function parseOrderedJson(text: string): OrderedJson {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonPickleError('', `malformed JSON at offset ${i}: ${what}`);
  };
  const skip = (): void => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  };
  const scalarEnd = (): number => {
    let j = i;
    while (j < text.length && !',]}'.includes(text[j] as string) && !WS.has(text.charCodeAt(j))) j++;
    return j;
  };
  const string = (): string => {
    // Find the closing quote (skipping escapes) and let JSON.parse decode the escapes.
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) fail('unterminated string');
    const raw = text.slice(i, j + 1);
    i = j + 1;
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail('bad string escape');
    }
  };
  const advance = (end: number, result: number): number => {
    i = end;
    return result;
  };
  const value = (depth: number): OrderedJson => {
    if (depth > 512) fail('nested too deeply');
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const map = new Map<string, OrderedJson>();
      skip();
      if (text[i] === '}') {
        i++;
        return map;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        skip();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        map.set(key, value(depth + 1));
        skip();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return map;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const list: OrderedJson[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return list;
      }
      for (;;) {
        list.push(value(depth + 1));
        skip();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return list;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    const end = scalarEnd();
    const token = text.slice(i, end);
    if (token === '') fail('unexpected end');
    // Python's json module writes these for float('nan') and float('inf') (allow_nan).
    if (token === 'NaN') return advance(end, Number.NaN);
    if (token === 'Infinity') return advance(end, Number.POSITIVE_INFINITY);
    if (token === '-Infinity') return advance(end, Number.NEGATIVE_INFINITY);
    let parsed: unknown;
    try {
      parsed = JSON.parse(token);
    } catch {
      fail(`unexpected token ${JSON.stringify(token.slice(0, 20))}`);
    }
    if (parsed !== null && typeof parsed === 'object') fail('unexpected token');
    i = end;
    return parsed as OrderedJson;
  };
  const result = value(0);
  skip();
  if (i !== text.length) fail('trailing characters');
  return result;
}
