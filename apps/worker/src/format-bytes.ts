/**
 * A byte count as people read it: `512 B`, `1.5 KiB`, `3.0 MiB`… (binary units, one decimal).
 * @param bytes - the count
 * @returns the count with its unit
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
