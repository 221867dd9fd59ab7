/**
 * Internal: the first satisfiable range of an HTTP `Range` header, as CherryPy's
 * `httputil.get_ranges` reads it (which Girder uses): `[start, end)` with `end` exclusive.
 * Returns `undefined` when there is no header, it is invalid, or no range is satisfiable — Girder
 * then ignores the header and falls back to the `offset`/`endByte` query.
 *
 * @param header - The Range header value.
 * @param size - The file size.
 * @returns The first range, or `undefined`.
 */
export function firstRange(header: string | undefined, size: number): [number, number] | undefined {
  if (!header) return undefined;
  const eq = header.indexOf('=');
  if (eq < 0) return undefined;
  const result: [number, number][] = [];
  for (const spec of header.slice(eq + 1).split(',')) {
    const dash = spec.indexOf('-');
    if (dash < 0) return undefined;
    const startText = spec.slice(0, dash).trim();
    const stopText = spec.slice(dash + 1).trim();
    if (startText) {
      const start = Number.parseInt(startText, 10);
      const stop = stopText ? Number.parseInt(stopText, 10) : size - 1;
      if (Number.isNaN(start) || Number.isNaN(stop)) return undefined;
      if (start >= size) continue;
      if (stop < start) return undefined;
      result.push([start, stop + 1]);
    } else {
      if (!stopText) return undefined;
      const suffix = Number.parseInt(stopText, 10);
      if (Number.isNaN(suffix)) return undefined;
      result.push(suffix > size ? [0, size] : [size - suffix, size]);
    }
  }
  return result[0];
}
