import { urlRedactor } from './redact.ts';

/** Base class of this package's errors: a literal `name` and a stable `code`. */
export class GirderClientError extends Error {
  override name = 'GirderClientError';
  /** Stable machine-readable code. */
  readonly code: string;
  /**
   * @param code - stable code
   * @param message - what failed, on what, why
   * @param options - `cause` when wrapping
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** What Girder says in an error body. */
export interface GirderErrorBody {
  /** Girder's message. */
  message?: string;
  /** `rest`, `access`, `validation`, `internal`, … */
  type?: string;
  /** The invalid field, for validation errors. */
  field?: string;
}

/**
 * Girder answered with a non-2xx status. Carries the status, method, URL (secrets redacted) and
 * Girder's `message`, `type` and `field`. The `cause` is a redacted copy of ky's error (never the
 * request itself, whose headers hold the token). The client masks every secret it knows (token,
 * API key, password, Basic credentials) in all of these, also when Girder or a proxy echoes the
 * request in its answer.
 */
export class GirderHttpError extends GirderClientError {
  override name = 'GirderHttpError' as const;
  /** HTTP status. */
  readonly status: number;
  /** HTTP method. */
  readonly method: string;
  /** The URL, with any token query parameter redacted. */
  readonly url: string;
  /** Girder's error type (`rest`, `access`, `validation`…), if it said. */
  readonly type: string | undefined;
  /** The invalid field, for validation errors. */
  readonly field: string | undefined;
  /** Girder's message, if it said. */
  readonly girderMessage: string | undefined;

  /**
   * @param status - HTTP status
   * @param method - HTTP method
   * @param url - request URL (redacted here)
   * @param body - Girder's error body, if JSON
   * @param options - `cause` (kept as a redacted copy)
   */
  constructor(
    status: number,
    method: string,
    url: string,
    body: GirderErrorBody | undefined,
    options?: ErrorOptions,
  ) {
    const safeUrl = urlRedactor.url(url);
    const detail = body?.message ? `: ${body.message}` : '';
    super(
      'GIRDER_HTTP_ERROR',
      `Girder answered ${status} to ${method} ${safeUrl}${detail}`,
      options && 'cause' in options ? { cause: urlRedactor.error(options.cause) } : undefined,
    );
    this.status = status;
    this.method = method;
    this.url = safeUrl;
    this.type = body?.type;
    this.field = body?.field;
    this.girderMessage = body?.message;
  }
}

/** No answer came from Girder (connection refused or reset, DNS, timeout). */
export class GirderNetworkError extends GirderClientError {
  override name = 'GirderNetworkError' as const;
  /** HTTP method. */
  readonly method: string;
  /** The URL, redacted. */
  readonly url: string;
  /**
   * @param method - HTTP method
   * @param url - request URL (redacted here)
   * @param cause - the network failure (kept as a redacted copy)
   * @param options - `hint`: what to do, appended to the message
   */
  constructor(method: string, url: string, cause: unknown, options: { hint?: string } = {}) {
    const safeUrl = urlRedactor.url(url);
    const safe = urlRedactor.error(cause);
    const code = (safe.cause as { code?: unknown } | undefined)?.code;
    const reason = `${safe.message}${typeof code === 'string' ? ` (${code})` : ''}`;
    const hint = options.hint ?? 'check that Girder is up and reachable, then retry';
    super('GIRDER_NETWORK_ERROR', `no answer from Girder to ${method} ${safeUrl}: ${reason}; ${hint}`, {
      cause: safe,
    });
    this.method = method;
    this.url = safeUrl;
  }
}

/** An upload's source gave a different number of bytes than declared; the upload was deleted. */
export class IncorrectUploadLengthError extends GirderClientError {
  override name = 'IncorrectUploadLengthError' as const;
  /** Bytes declared. */
  readonly expected: number;
  /** Bytes the source gave (at least). */
  readonly received: number;
  /**
   * @param name - the file name
   * @param expected - declared size
   * @param received - bytes read
   */
  constructor(name: string, expected: number, received: number) {
    super(
      'GIRDER_UPLOAD_LENGTH',
      `upload of "${name}": the source gave ${received > expected ? 'more than ' : ''}${received} bytes but ${expected} were declared; the upload was cancelled`,
    );
    this.expected = expected;
    this.received = received;
  }
}

/** A name from Girder cannot be written safely inside the target directory. */
export class UnsafeNameError extends GirderClientError {
  override name = 'UnsafeNameError' as const;
  /** @param name - the offending name */
  constructor(name: string) {
    super(
      'GIRDER_UNSAFE_NAME',
      `the Girder name ${JSON.stringify(name.slice(0, 80))} cannot be used as a file name`,
    );
  }
}

function matches(value: unknown, name: string, code: string): boolean {
  const v = value as { name?: unknown; code?: unknown } | null;
  return typeof v === 'object' && v !== null && (v.name === name || v.code === code);
}

/** True for a {@link GirderHttpError}, even from another copy of this package. */
export function isGirderHttpError(value: unknown): value is GirderHttpError {
  return matches(value, 'GirderHttpError', 'GIRDER_HTTP_ERROR');
}
/** True for a {@link GirderNetworkError}, even from another copy of this package. */
export function isGirderNetworkError(value: unknown): value is GirderNetworkError {
  return matches(value, 'GirderNetworkError', 'GIRDER_NETWORK_ERROR');
}
/** True for an {@link IncorrectUploadLengthError}, even from another copy of this package. */
export function isIncorrectUploadLengthError(value: unknown): value is IncorrectUploadLengthError {
  return matches(value, 'IncorrectUploadLengthError', 'GIRDER_UPLOAD_LENGTH');
}
/** True for an {@link UnsafeNameError}, even from another copy of this package. */
export function isUnsafeNameError(value: unknown): value is UnsafeNameError {
  return matches(value, 'UnsafeNameError', 'GIRDER_UNSAFE_NAME');
}
