import { type Logger, silentLogger } from './logger.ts';

/** Retry policy of idempotent requests and upload chunks. */
export interface RetryPolicy {
  /**
   * Attempts after the first.
   * @default 3
   */
  limit?: number;
  /**
   * Upper bound of the delay between attempts, in milliseconds (exponential backoff below it).
   * @default 5000
   */
  backoffLimitMs?: number;
}

/** Options of {@link createGirderClient}. */
export interface GirderClientOptions {
  /** The API root, e.g. `http://localhost:8080/api/v1`. */
  apiUrl: string;
  /** A Girder token, sent as the `Girder-Token` header. */
  token?: string;
  /** An API key, exchanged for a token by `authenticate()`. */
  apiKey?: string;
  /**
   * Retries of idempotent requests (GET, PUT, DELETE) and upload chunks on network errors and
   * 429/502/503/504. A number is the limit. A create (POST) is never blindly repeated.
   * @default { limit: 3, backoffLimitMs: 5000 }
   */
  retry?: number | RetryPolicy;
  /**
   * Per-request timeout for getting an answer, in milliseconds; `false` disables it. It covers
   * sending the body (an upload chunk must go through within it) but not reading a download.
   * @default 60000
   */
  timeout?: number | false;
  /**
   * The fetch implementation ky uses (e.g. one with a proxy agent). When given, downloads go
   * through it too.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Where the client logs retries, resumed transfers and logins (never a token).
   * @default a silent logger
   */
  logger?: Logger;
  /**
   * Told of every answer to a request of the API (`kind: 'answer'`, its status) and of every retry
   * (`kind: 'retry'`, the status that caused it, or `network` when no answer came), e.g. for
   * metrics. Never given a URL, a header or a body. Downloads read on their own connection are not
   * reported.
   * @default none
   */
  onRequest?: (event: GirderRequestEvent) => void;
  /**
   * Upload chunk size in bytes (never below `minimumChunkBytes`, except the last chunk).
   * @default 67108864 (64 MiB, as girder_client)
   */
  chunkBytes?: number;
  /**
   * Girder's minimum chunk size (`core.upload_minimum_chunk_size`).
   * @default 5242880 (5 MiB)
   */
  minimumChunkBytes?: number;
}

/** One answer (or failed attempt) of a request to Girder's API, for {@link GirderClientOptions.onRequest}. */
export interface GirderRequestEvent {
  /** HTTP method, upper case. */
  method: string;
  /** The HTTP status, or `network` when no answer came. */
  status: number | 'network';
  /** `answer`: a response came; `retry`: the attempt failed and is tried again. */
  kind: 'answer' | 'retry';
}

/** The retry policy after defaults were applied. */
export interface NormalizedRetry {
  /** Attempts after the first. */
  limit: number;
  /** Upper bound of the delay between attempts, in milliseconds. */
  backoffLimitMs: number;
}

/** {@link GirderClientOptions} checked and with their defaults, credentials aside. */
export interface ClientSettings {
  /** The API root, without a trailing slash. */
  apiUrl: string;
  /** Where the client logs. */
  logger: Logger;
  /** Told of every answer and retry. */
  onRequest: ((event: GirderRequestEvent) => void) | undefined;
  /** Retry policy. */
  retry: NormalizedRetry;
  /** Milliseconds allowed to get an answer, or false. */
  timeoutMs: number | false;
  /** The caller's fetch, if any (then every request goes through it). */
  fetch: typeof fetch | undefined;
  /** Upload chunk size in bytes. */
  chunkBytes: number;
  /** Girder's minimum chunk size. */
  minimumChunkBytes: number;
}

/**
 * Throws unless `value` is undefined or a safe integer of at least `min`.
 * @param value - the value to check
 * @param field - its name in the message
 * @param min - the smallest value allowed
 * @throws TypeError naming the field
 */
export function checkInteger(value: number | undefined, field: string, min: number): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
    throw new TypeError(`${field}: expected an integer >= ${min}, got ${String(value)}`);
  }
}

function normalizeRetry(retry: number | RetryPolicy | undefined): NormalizedRetry {
  const policy = typeof retry === 'number' ? { limit: retry } : (retry ?? {});
  const limit = policy.limit ?? 3;
  if (!Number.isInteger(limit) || limit < 0)
    throw new TypeError(`retry.limit: expected an integer >= 0, got ${limit}`);
  const backoffLimitMs = policy.backoffLimitMs ?? 5000;
  if (!(backoffLimitMs >= 0))
    throw new TypeError(`retry.backoffLimitMs: expected a number >= 0, got ${backoffLimitMs}`);
  return { limit, backoffLimitMs };
}

/**
 * Checks the options once, at the door, and applies the defaults.
 * @param options - as given to {@link createGirderClient}
 * @returns the settings every part of the client reads
 * @throws TypeError naming the option when one is invalid
 */
export function normalizeOptions(options: GirderClientOptions): ClientSettings {
  if (typeof options?.apiUrl !== 'string' || !/^https?:\/\//.test(options.apiUrl)) {
    throw new TypeError(
      `apiUrl: expected an http(s) URL such as http://localhost:8080/api/v1, got ${JSON.stringify(options?.apiUrl)}`,
    );
  }
  checkInteger(options.minimumChunkBytes, 'minimumChunkBytes', 1);
  const minimumChunkBytes = options.minimumChunkBytes ?? 5 * 1024 * 1024;
  checkInteger(options.chunkBytes, 'chunkBytes', minimumChunkBytes);
  const timeout = options.timeout ?? 60_000;
  if (timeout !== false && !(Number.isFinite(timeout) && timeout > 0))
    throw new TypeError(`timeout: expected a number of milliseconds > 0 or false, got ${String(timeout)}`);
  if (options.onRequest !== undefined && typeof options.onRequest !== 'function')
    throw new TypeError(`onRequest: expected a function, got ${typeof options.onRequest}`);
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    throw new TypeError(`fetch: expected a fetch function, got ${typeof options.fetch}`);
  for (const field of ['token', 'apiKey'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'string')
      throw new TypeError(`${field}: expected a string, got ${typeof options[field]}`);
  }
  return {
    apiUrl: options.apiUrl.replace(/\/+$/, ''),
    logger: options.logger ?? silentLogger,
    onRequest: options.onRequest,
    retry: normalizeRetry(options.retry),
    timeoutMs: timeout,
    fetch: options.fetch,
    chunkBytes: options.chunkBytes ?? Math.max(64 * 1024 * 1024, minimumChunkBytes),
    minimumChunkBytes,
  };
}
