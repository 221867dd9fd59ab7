import { type GirderErrorBody, GirderHttpError, GirderNetworkError } from '../errors.ts';
import type { Redactor } from '../redact.ts';

/**
 * Girder's error body from an answer's text, when it is a JSON object.
 * @param text - the body
 * @returns the parsed body, or undefined
 */
export function parseErrorBody(text: string): GirderErrorBody | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null ? (body as GirderErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** How the client builds its errors: every text they keep goes through its {@link Redactor}. */
export interface ErrorMapping {
  /**
   * A {@link GirderHttpError} whose URL, Girder fields and cause have every known secret masked.
   * @param status - the answer's status
   * @param method - the request's method
   * @param url - the request's URL
   * @param body - Girder's error body, if any
   * @param cause - the underlying error, if any
   */
  http(status: number, method: string, url: string, body: unknown, cause?: unknown): GirderHttpError;
  /**
   * A {@link GirderNetworkError} whose URL and cause have every known secret masked.
   * @param method - the request's method
   * @param url - the request's URL
   * @param cause - the network failure
   * @param hint - what to do, instead of the default hint
   */
  network(method: string, url: string, cause: unknown, hint?: string): GirderNetworkError;
}

/**
 * The error builders of one client.
 * @param redactor - the client's redaction helper
 * @returns the builders
 */
export function createErrorMapping(redactor: Redactor): ErrorMapping {
  const field = (value: unknown): string | undefined =>
    typeof value === 'string' ? redactor.text(value) : undefined;
  return {
    http(status, method, url, body, cause) {
      const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      const safeBody: GirderErrorBody = {};
      for (const name of ['message', 'type', 'field'] as const) {
        const value = field(fields[name]);
        if (value !== undefined) safeBody[name] = value;
      }
      return new GirderHttpError(
        status,
        method,
        redactor.url(url),
        safeBody,
        cause === undefined ? undefined : { cause: redactor.error(cause) },
      );
    },
    network(method, url, cause, hint) {
      return new GirderNetworkError(
        method,
        redactor.url(url),
        redactor.error(cause),
        hint === undefined ? {} : { hint },
      );
    },
  };
}
