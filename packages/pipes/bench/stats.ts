// Small statistics for the benches: the machine is shared, so rounds interleave and we report
// medians with their range.

/** The median (upper middle for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** `[min, max]`. */
export function range(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}
