/**
 * A Girder name as one safe path segment: separators and NUL become `_`, and `.`/`..`/empty
 * names are prefixed, so a download can never leave its directory (`../../evil` → `.._.._evil`).
 */
export function safeSegment(name: string): string {
  const cleaned = name.replace(/[/\\\0]/g, '_');
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return `_${cleaned}`;
  return cleaned;
}
