import type { FieldReader } from '@girder-worker/transforms';
import { SpecValidationError } from '@girder-worker/transforms';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/**
 * Checks a Girder id (24 hex digits).
 * @throws {@link SpecValidationError} naming `field`
 */
export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !OBJECT_ID.test(value)) {
    throw new SpecValidationError(field, 'a Girder id (24 hex digits)', value);
  }
  return value;
}

/** Reads a Girder id field. */
export function readId(fields: FieldReader, name: string): string {
  return checkId(fields.value(name), fields.at(name));
}
