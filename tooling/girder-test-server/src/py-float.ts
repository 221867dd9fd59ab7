/**
 * Internal: numbers that Girder stores as Python floats, written as Python's `json` module writes
 * them (`5.0`, not `5`; `1e+16`; `1e-05`), so that a client in a language with separate integer and
 * float types (Python, Go…) reads a float, as it would from Girder.
 */

/** `JSON.rawJSON` (Node ≥ 21): a value `JSON.stringify` writes verbatim. */
const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

/**
 * Internal: Python's `repr(float(n))`, the text `json.dumps` writes for a float.
 *
 * @param n - A finite number.
 * @returns The text, e.g. "5.0", "0.25", "1e+16", "1e-05".
 */
export function pythonFloatText(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const sign = n < 0 ? '-' : '';
  // toExponential() without digits gives the shortest round-trip digits, as Python's repr.
  const [mantissa, expText] = Math.abs(n).toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const fraction = digits.slice(exp + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

/**
 * Internal: a value that `JSON.stringify` writes as Python writes the float `n`.
 *
 * @param n - The number (null stays null).
 * @returns A raw-JSON value, or null.
 */
export function pythonFloat(n: number | null): unknown {
  return n === null ? null : rawJSON(pythonFloatText(n));
}
