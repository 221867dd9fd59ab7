import type { IncomingMessage } from 'node:http';
import { restError } from './rest-error.ts';

/** Internal: the largest form or JSON body read into memory. */
const MAX_BUFFERED_BODY: number = 16 * 1024 * 1024;

/** Internal: reads a small body (form or JSON) into memory, refusing more than {@link MAX_BUFFERED_BODY}. */
export async function readSmallBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BUFFERED_BODY)
      throw restError(`Request body is larger than ${MAX_BUFFERED_BODY} bytes.`, 413);
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** Internal: whether a content type is one CherryPy turns into parameters (the body is then no chunk). */
export function isFormContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/x-www-form-urlencoded' || type.startsWith('multipart/');
}

/** Internal: the JSON object in a request body ('Invalid JSON passed in request body.'). */
export async function readJsonObjectBody(
  req: IncomingMessage,
  name: string,
): Promise<Record<string, unknown>> {
  const text = (await readSmallBody(req)).toString('utf8');
  if (text.trim() === '') throw restError(`Parameter "${name}" is required.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw restError('Invalid JSON passed in request body.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw restError(`Parameter ${name} must be a JSON object.`);
  }
  return parsed as Record<string, unknown>;
}
