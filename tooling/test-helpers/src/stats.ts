// Small statistics for the benches: the machine is shared, so rounds interleave and benches
// report medians with their range, and memory as peak RSS.

/** The median (upper middle for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** `[min, max]`. */
export function range(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** This process's peak resident set size so far, in MiB (`maxRSS` of `process.resourceUsage()`). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
