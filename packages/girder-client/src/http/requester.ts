import ky, { isHTTPError, isNetworkError, isTimeoutError, type KyInstance } from 'ky';
import type { ClientSettings } from '../options.ts';
import type { Redactor } from '../redact.ts';
import type { Credentials } from './credentials.ts';
import type { ErrorMapping } from './error-mapping.ts';
import { RETRY_STATUSES } from './retry.ts';

/** A request body fetch accepts. */
export type RequestBody = NonNullable<RequestInit['body']>;

/** Per-request options of {@link Requester}. */
export interface RequestOptions {
  /** Query parameters (undefined values are left out). */
  searchParams?: Record<string, string | number | boolean | undefined>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body. */
  body?: RequestBody;
  /** Extra headers. */
  headers?: Record<string, string>;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Options that only carry a signal. */
export interface SignalOptions {
  /** Cancels the operation. */
  signal?: AbortSignal;
}

/** {@link RequestOptions} plus whether a failed attempt may be repeated. */
export interface SendOptions extends RequestOptions {
  /**
   * Retry GET, PUT, DELETE and HEAD on network errors and 429/502/503/504 (other methods never).
   * @default true
   */
  retry?: boolean;
}

/** Every request to Girder's API goes through one of these, over the client's one ky instance. */
export interface Requester {
  /**
   * Sends a request and maps failures: {@link GirderHttpError} for a non-2xx answer,
   * {@link GirderNetworkError} when none came; a caller's abort rejects with the signal's reason.
   * GET, PUT, DELETE and HEAD are retried with backoff on network errors and 429/502/503/504;
   * other methods, or `retry: false`, are sent once.
   * @param method - HTTP method
   * @param path - route under the API root, e.g. `item/<id>`
   * @param options - `searchParams`, `json` or `body`, `headers`, `signal`, `retry`
   * @returns the raw response (body unread)
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  send(method: string, path: string, options?: SendOptions): Promise<Response>;
  /**
   * Sends a request and parses the JSON answer (an escape hatch for routes without a method).
   * @param method - HTTP method
   * @param path - route under the API root
   * @param options - as {@link Requester.send}
   * @returns the parsed JSON (null for an empty body)
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  request<T>(method: string, path: string, options?: SendOptions): Promise<T>;
  /**
   * GET a route and parse the JSON answer (retried on transient failures).
   * @param path - route under the API root
   * @param options - query, headers, signal
   * @returns the parsed answer
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  get<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /**
   * POST to a route and parse the JSON answer. Never retried: a create must not be repeated blindly.
   * @param path - route under the API root
   * @param options - query, JSON or raw body, headers, signal
   * @returns the parsed answer
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  post<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /**
   * PUT to a route and parse the JSON answer (retried on transient failures).
   * @param path - route under the API root
   * @param options - query, JSON or raw body, headers, signal
   * @returns the parsed answer
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  put<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /**
   * DELETE a route and parse the JSON answer (retried on transient failures).
   * @param path - route under the API root
   * @param options - query, headers, signal
   * @returns the parsed answer
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
}

/** What the requester is built from. */
export interface RequesterParts {
  /** The client's settings. */
  settings: ClientSettings;
  /** Where the token comes from. */
  credentials: Credentials;
  /** Masks secrets in the retry log lines. */
  redactor: Redactor;
  /** Builds the errors. */
  errors: ErrorMapping;
}

function createKy({ settings, credentials, redactor }: RequesterParts): KyInstance {
  return ky.create({
    prefix: `${settings.apiUrl}/`,
    timeout: settings.timeoutMs,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    retry: {
      limit: settings.retry.limit,
      methods: ['get', 'put', 'delete', 'head'],
      statusCodes: [...RETRY_STATUSES],
      backoffLimit: settings.retry.backoffLimitMs,
    },
    hooks: {
      beforeRequest: [
        ({ request }) => {
          if (credentials.token) request.headers.set('Girder-Token', credentials.token);
        },
      ],
      afterResponse: [
        ({ request, response }) => {
          settings.onRequest?.({ method: request.method, status: response.status, kind: 'answer' });
        },
      ],
      beforeRetry: [
        ({ request, error, retryCount }) => {
          const status = (error as { response?: { status?: number } }).response?.status;
          settings.onRequest?.({ method: request.method, status: status ?? 'network', kind: 'retry' });
          settings.logger.warn('retrying a Girder request', {
            method: request.method,
            path: new URL(request.url).pathname,
            attempt: retryCount,
            error: redactor.text(error.message),
          });
        },
      ],
    },
  });
}

/**
 * The client's one ky instance (API root, `Girder-Token`, timeout, retries) and the error
 * mapping around it.
 * @param parts - settings, credentials, redactor, error builders
 * @returns the requester
 */
export function createRequester(parts: RequesterParts): Requester {
  const { settings, errors } = parts;
  const instance = createKy(parts);
  const send: Requester['send'] = async (method, path, options = {}) => {
    const { searchParams, json, body, headers, signal, retry = true } = options;
    const search = searchParams
      ? (Object.fromEntries(Object.entries(searchParams).filter(([, v]) => v !== undefined)) as Record<
          string,
          string | number | boolean
        >)
      : undefined;
    const route = path.replace(/^\/+/, '');
    try {
      return await instance(route, {
        method,
        ...(search ? { searchParams: search } : {}),
        ...(json === undefined ? {} : { json }),
        ...(body === undefined ? {} : { body, duplex: 'half' }),
        ...(headers ? { headers } : {}),
        ...(signal ? { signal } : {}),
        ...(retry ? {} : { retry: 0 }),
      } as Parameters<KyInstance>[1]);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const url = new URL(`${settings.apiUrl}/${route}`);
      for (const [name, value] of Object.entries(search ?? {})) url.searchParams.set(name, String(value));
      if (isHTTPError(error)) throw errors.http(error.response.status, method, url.href, error.data, error);
      if (isNetworkError(error) || isTimeoutError(error) || error instanceof TypeError) {
        throw errors.network(method, url.href, error);
      }
      throw error;
    }
  };
  const request = async <T>(method: string, path: string, options?: SendOptions): Promise<T> => {
    const response = await send(method, path, options);
    const text = await response.text();
    return (text === '' ? null : JSON.parse(text)) as T;
  };
  return {
    send,
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, options) => request('POST', path, { ...options, retry: false }),
    put: (path, options) => request('PUT', path, options),
    delete: (path, options) => request('DELETE', path, options),
  };
}
