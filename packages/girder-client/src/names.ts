import { UnsafeNameError } from './errors.ts';

/**
 * A Girder resource name as one safe path segment, so a download can never leave its target
 * directory: leading `/` and `\` are stripped (as girder_client does), remaining separators
 * become `_`, and `.`/`..` are refused.
 * @throws {@link UnsafeNameError} for a name that is empty, `.`, `..`, or holds a NUL byte
 */
export function safeFileName(name: string): string {
  if (name.includes('\0')) throw new UnsafeNameError(name);
  const cleaned = name.replace(/^[/\\]+/, '').replace(/[/\\]/g, '_');
  if (cleaned === '' || cleaned === '.' || cleaned === '..') throw new UnsafeNameError(name);
  return cleaned;
}
