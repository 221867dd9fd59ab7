import ky, { isHTTPError, isNetworkError, isTimeoutError, type KyInstance } from 'ky';
import { type GirderErrorBody, GirderHttpError, GirderNetworkError } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';
import type { AuthToken, Folder, GirderFile, Item, Job, User } from './models.ts';

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

/** Options of {@link GirderClient}. */
export interface GirderClientOptions {
  /** The API root, e.g. `http://localhost:8080/api/v1`. */
  apiUrl: string;
  /** A Girder token, sent as the `Girder-Token` header. */
  token?: string;
  /** An API key, exchanged for a token by {@link GirderClient.authenticate}. */
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
   * The fetch implementation ky uses (e.g. one with a proxy agent).
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Where the client logs retries, resumed transfers and logins (never a token).
   * @default a silent logger
   */
  logger?: Logger;
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

/** A request body fetch accepts. */
export type RequestBody = NonNullable<RequestInit['body']>;

/** Per-request options of the escape hatches. */
export interface RequestOptions {
  /** Query parameters. */
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

/** Statuses retried with backoff (idempotent requests and upload chunks). */
export const RETRY_STATUSES: readonly number[] = [429, 502, 503, 504];

/** The retry policy after defaults were applied. */
export interface NormalizedRetry {
  /** Attempts after the first. */
  limit: number;
  /** Upper bound of the delay between attempts, in milliseconds. */
  backoffLimitMs: number;
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
 * Backoff delay before retry number `attempt`: 200 ms doubling, capped by the policy.
 * @param attempt - 1-based retry number
 * @param retry - the policy
 * @returns milliseconds to wait
 */
export function backoffMs(attempt: number, retry: NormalizedRetry): number {
  return Math.min(retry.backoffLimitMs, 200 * 2 ** (attempt - 1));
}

/**
 * Waits `ms`, or rejects with the signal's reason (its listener removed when the timer wins).
 * @param ms - milliseconds
 * @param signal - cancels the wait
 * @returns a promise settled after the wait
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function checkInteger(value: number | undefined, field: string, min: number): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
    throw new TypeError(`${field}: expected an integer >= ${min}, got ${String(value)}`);
  }
}

/**
 * The core of the Girder client: configuration, the `Girder-Token` header, error mapping and
 * retries, plus the JSON resources. Downloads and uploads are added by {@link GirderClient}.
 */
export class GirderClientBase {
  /** The API root, without a trailing slash. */
  readonly apiUrl: string;
  /** Where the client logs. */
  readonly logger: Logger;
  /** Normalized retry policy. */
  readonly retry: NormalizedRetry;
  /** Upload chunk size in bytes. */
  readonly chunkBytes: number;
  /** Girder's minimum chunk size. */
  readonly minimumChunkBytes: number;
  /** The ky instance every request goes through. */
  protected readonly ky: KyInstance;
  /** Milliseconds allowed to get an answer, or false. */
  protected readonly timeoutMs: number | false;
  /** Whether the caller gave its own fetch (then every request goes through it). */
  protected readonly customFetch: boolean;
  #token: string | undefined;
  readonly #apiKey: string | undefined;

  /**
   * @param options - API URL, credentials, retry, timeout, fetch, logger, chunk sizes
   * @throws TypeError naming the option when one is invalid
   */
  constructor(options: GirderClientOptions) {
    if (typeof options?.apiUrl !== 'string' || !/^https?:\/\//.test(options.apiUrl)) {
      throw new TypeError(
        `apiUrl: expected an http(s) URL such as http://localhost:8080/api/v1, got ${JSON.stringify(options?.apiUrl)}`,
      );
    }
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.logger = options.logger ?? silentLogger;
    this.retry = normalizeRetry(options.retry);
    checkInteger(options.minimumChunkBytes, 'minimumChunkBytes', 1);
    this.minimumChunkBytes = options.minimumChunkBytes ?? 5 * 1024 * 1024;
    checkInteger(options.chunkBytes, 'chunkBytes', this.minimumChunkBytes);
    this.chunkBytes = options.chunkBytes ?? Math.max(64 * 1024 * 1024, this.minimumChunkBytes);
    this.#token = options.token;
    this.#apiKey = options.apiKey;
    const timeout = options.timeout ?? 60_000;
    if (timeout !== false && !(Number.isFinite(timeout) && timeout > 0))
      throw new TypeError(`timeout: expected a number of milliseconds > 0 or false, got ${String(timeout)}`);
    if (options.fetch !== undefined && typeof options.fetch !== 'function')
      throw new TypeError(`fetch: expected a fetch function, got ${typeof options.fetch}`);
    this.timeoutMs = timeout;
    this.customFetch = options.fetch !== undefined;
    this.ky = ky.create({
      prefix: `${this.apiUrl}/`,
      timeout,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      retry: {
        limit: this.retry.limit,
        methods: ['get', 'put', 'delete', 'head'],
        statusCodes: [...RETRY_STATUSES],
        backoffLimit: this.retry.backoffLimitMs,
      },
      hooks: {
        beforeRequest: [
          ({ request }) => {
            if (this.#token) request.headers.set('Girder-Token', this.#token);
          },
        ],
        beforeRetry: [
          ({ request, error, retryCount }) => {
            this.logger.warn('retrying a Girder request', {
              method: request.method,
              path: new URL(request.url).pathname,
              attempt: retryCount,
              error: error.message,
            });
          },
        ],
      },
    });
  }

  /** The `Girder-Token` header when the client holds a token (for requests that bypass ky). */
  protected authHeaders(): Record<string, string> {
    return this.#token ? { 'Girder-Token': this.#token } : {};
  }

  /** Whether the client holds a token (given, or from {@link GirderClientBase.authenticate}). */
  get authenticated(): boolean {
    return this.#token !== undefined;
  }

  /**
   * Replaces the token (e.g. with a job-scoped one), or forgets it with `undefined`.
   * @param token - the new token
   */
  setToken(token: string | undefined): void {
    this.#token = token;
  }

  /**
   * Logs in: with a username and password (HTTP Basic on `user/authentication`), or with an API
   * key (`api_key/token`; the key given to the constructor when none is passed). Keeps the token.
   * @param credentials - `{ username, password }` or `{ apiKey }`; the constructor's `apiKey` when omitted
   * @param options - `signal`
   * @returns the token Girder issued (`token`, `expires`, `scope`)
   * @throws TypeError when there are no credentials at all
   * @throws {@link GirderHttpError} 401 on a wrong password, 400 on an unknown API key
   * @example
   * ```ts
   * await client.authenticate({ username: 'admin', password: 'adminpassword' });
   * ```
   */
  async authenticate(
    credentials?: { username: string; password: string } | { apiKey: string },
    options: SignalOptions = {},
  ): Promise<AuthToken> {
    let token: AuthToken;
    if (credentials && 'username' in credentials) {
      const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
      const answer = await this.request<{ authToken: AuthToken }>('GET', 'user/authentication', {
        headers: { Authorization: `Basic ${basic}` },
        ...options,
      });
      token = answer.authToken;
    } else {
      const key = (credentials as { apiKey?: string } | undefined)?.apiKey ?? this.#apiKey;
      if (!key)
        throw new TypeError(
          'authenticate: give { username, password } or { apiKey } (or apiKey to the client)',
        );
      const answer = await this.request<{ authToken: AuthToken }>('POST', 'api_key/token', {
        searchParams: { key },
        ...options,
      });
      token = answer.authToken;
    }
    this.#token = token.token;
    this.logger.info('authenticated with Girder', { apiUrl: this.apiUrl });
    return token;
  }

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
  async send(
    method: string,
    path: string,
    options: RequestOptions & { retry?: boolean } = {},
  ): Promise<Response> {
    const { searchParams, json, body, headers, signal, retry = true } = options;
    const search = searchParams
      ? (Object.fromEntries(Object.entries(searchParams).filter(([, v]) => v !== undefined)) as Record<
          string,
          string | number | boolean
        >)
      : undefined;
    try {
      return await this.ky(path.replace(/^\/+/, ''), {
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
      const url = new URL(`${this.apiUrl}/${path.replace(/^\/+/, '')}`);
      for (const [name, value] of Object.entries(search ?? {})) url.searchParams.set(name, String(value));
      if (isHTTPError(error)) {
        const data = error.data;
        const girderBody = typeof data === 'object' && data !== null ? (data as GirderErrorBody) : undefined;
        throw new GirderHttpError(error.response.status, method, url.href, girderBody, { cause: error });
      }
      if (isNetworkError(error) || isTimeoutError(error) || error instanceof TypeError) {
        throw new GirderNetworkError(method, url.href, error);
      }
      throw error;
    }
  }

  /**
   * Sends a request and parses the JSON answer (an escape hatch for routes without a method here).
   * @param method - HTTP method
   * @param path - route under the API root
   * @param options - as {@link GirderClientBase.send}
   * @returns the parsed JSON (null for an empty body)
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  async request<T>(
    method: string,
    path: string,
    options: RequestOptions & { retry?: boolean } = {},
  ): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    return (text === '' ? null : JSON.parse(text)) as T;
  }

  /**
   * GET a route and parse the JSON answer (retried on transient failures).
   * @param path - route under the API root
   * @param options - query, headers, signal
   * @returns the parsed answer
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  get<T = unknown>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, options);
  }
  /**
   * POST to a route and parse the JSON answer. Never retried: a create must not be repeated blindly.
   * @param path - route under the API root
   * @param options - query, JSON or raw body, headers, signal
   * @returns the parsed answer
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  post<T = unknown>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, { ...options, retry: false });
  }
  /**
   * PUT to a route and parse the JSON answer (retried on transient failures).
   * @param path - route under the API root
   * @param options - query, JSON or raw body, headers, signal
   * @returns the parsed answer
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  put<T = unknown>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('PUT', path, options);
  }
  /**
   * DELETE a route and parse the JSON answer (retried on transient failures).
   * @param path - route under the API root
   * @param options - query, headers, signal
   * @returns the parsed answer
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  /**
   * The user the token belongs to (`GET user/me`).
   * @param options - `signal`
   * @returns the user, or null when anonymous
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  getMe(options: SignalOptions = {}): Promise<User | null> {
    return this.get<User | null>('user/me', options);
  }
  /**
   * A file document (`GET file/{id}`).
   * @param id - the file id
   * @param options - `signal`
   * @returns the file
   * @throws {@link GirderHttpError} 400 for a malformed or unknown id, 403 without read access
   */
  getFile(id: string, options: SignalOptions = {}): Promise<GirderFile> {
    return this.get<GirderFile>(`file/${encodeURIComponent(id)}`, options);
  }
  /**
   * An item document (`GET item/{id}`).
   * @param id - the item id
   * @param options - `signal`
   * @returns the item
   * @throws {@link GirderHttpError} 400 for a malformed or unknown id, 403 without read access
   */
  getItem(id: string, options: SignalOptions = {}): Promise<Item> {
    return this.get<Item>(`item/${encodeURIComponent(id)}`, options);
  }
  /**
   * A folder document (`GET folder/{id}`).
   * @param id - the folder id
   * @param options - `signal`
   * @returns the folder
   * @throws {@link GirderHttpError} 400 for a malformed or unknown id, 401/403 without read access
   */
  getFolder(id: string, options: SignalOptions = {}): Promise<Folder> {
    return this.get<Folder>(`folder/${encodeURIComponent(id)}`, options);
  }
  /**
   * A job document (`GET job/{id}`), with its log and progress.
   * @param id - the job id
   * @param options - `signal`
   * @returns the job
   * @throws {@link GirderHttpError} 400 for an unknown id, 401/403 without access
   */
  getJob(id: string, options: SignalOptions = {}): Promise<Job> {
    return this.get<Job>(`job/${encodeURIComponent(id)}`, options);
  }

  /**
   * Pages through a listing route with limit/offset (50 a page, as girder_client) until a short page.
   * @param path - the listing route
   * @param searchParams - its filters
   * @param options - `signal`, `pageSize` (default 50)
   * @returns the documents, one at a time
   */
  protected async *page<T>(
    path: string,
    searchParams: Record<string, string | number | undefined>,
    options: SignalOptions & { pageSize?: number },
  ): AsyncGenerator<T> {
    const limit = options.pageSize ?? 50;
    // limit=0 means "everything" to Girder: a page size must be positive or paging never ends.
    checkInteger(limit, 'pageSize', 1);
    for (let offset = 0; ; offset += limit) {
      const page = await this.get<T[]>(path, {
        searchParams: { ...searchParams, limit, offset },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      yield* page;
      if (page.length < limit) return;
    }
  }

  /**
   * Every folder under a parent, fetched a page at a time as the iteration goes.
   * @param parent - `parentId`, `parentType` (default `folder`), optional `name`/`text` filters
   * @param options - `signal`, `pageSize` (default 50)
   * @returns an async iterable of folders
   * @throws {@link GirderHttpError}, {@link GirderNetworkError} (from the iteration)
   * @example
   * ```ts
   * for await (const folder of client.listFolders({ parentId })) console.log(folder.name);
   * ```
   */
  listFolders(
    parent: { parentId: string; parentType?: 'folder' | 'user' | 'collection'; name?: string; text?: string },
    options: SignalOptions & { pageSize?: number } = {},
  ): AsyncGenerator<Folder> {
    return this.page<Folder>(
      'folder',
      {
        parentType: parent.parentType ?? 'folder',
        parentId: parent.parentId,
        name: parent.name,
        text: parent.text,
      },
      options,
    );
  }
  /**
   * Every item of a folder, fetched a page at a time as the iteration goes.
   * @param folder - `folderId`, optional `name`/`text` filters
   * @param options - `signal`, `pageSize` (default 50)
   * @returns an async iterable of items
   * @throws {@link GirderHttpError}, {@link GirderNetworkError} (from the iteration)
   */
  listItems(
    folder: { folderId: string; name?: string; text?: string },
    options: SignalOptions & { pageSize?: number } = {},
  ): AsyncGenerator<Item> {
    return this.page<Item>(
      'item',
      { folderId: folder.folderId, name: folder.name, text: folder.text },
      options,
    );
  }
  /**
   * Every file of an item, fetched a page at a time as the iteration goes.
   * @param itemId - the item id
   * @param options - `signal`, `pageSize` (default 50)
   * @returns an async iterable of files
   * @throws {@link GirderHttpError}, {@link GirderNetworkError} (from the iteration)
   */
  listFiles(itemId: string, options: SignalOptions & { pageSize?: number } = {}): AsyncGenerator<GirderFile> {
    return this.page<GirderFile>(`item/${encodeURIComponent(itemId)}/files`, {}, options);
  }

  /**
   * Creates a folder (`POST folder`, never retried); with `reuseExisting`, returns the existing
   * one of that name instead.
   * @param parentId - the parent's id
   * @param name - the folder name
   * @param options - `parentType` (default `folder`), `description`, `public`, `reuseExisting`, `metadata`, `signal`
   * @returns the folder
   * @throws {@link GirderHttpError} 400 `field: "name"` when the name is taken (without `reuseExisting`)
   */
  createFolder(
    parentId: string,
    name: string,
    options: SignalOptions & {
      parentType?: 'folder' | 'user' | 'collection';
      description?: string;
      public?: boolean;
      reuseExisting?: boolean;
      metadata?: Record<string, unknown>;
    } = {},
  ): Promise<Folder> {
    return this.post<Folder>('folder', {
      searchParams: {
        parentType: options.parentType ?? 'folder',
        parentId,
        name,
        description: options.description,
        public: options.public,
        reuseExisting: options.reuseExisting,
        metadata: options.metadata === undefined ? undefined : JSON.stringify(options.metadata),
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /**
   * Creates an item (`POST item`, never retried); with `reuseExisting`, returns the existing one of
   * that name instead (without it, Girder renames a taken name to "name (1)").
   * @param folderId - the folder's id
   * @param name - the item name
   * @param options - `description`, `reuseExisting`, `metadata`, `signal`
   * @returns the item
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  createItem(
    folderId: string,
    name: string,
    options: SignalOptions & {
      description?: string;
      reuseExisting?: boolean;
      metadata?: Record<string, unknown>;
    } = {},
  ): Promise<Item> {
    return this.post<Item>('item', {
      searchParams: {
        folderId,
        name,
        description: options.description,
        reuseExisting: options.reuseExisting,
        metadata: options.metadata === undefined ? undefined : JSON.stringify(options.metadata),
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /**
   * Adds metadata to an item (`PUT item/{id}/metadata`); a key set to null is deleted (as in Girder).
   * @param itemId - the item id
   * @param metadata - keys to set (null deletes)
   * @param options - `signal`
   * @returns the updated item
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  addMetadataToItem(
    itemId: string,
    metadata: Record<string, unknown>,
    options: SignalOptions = {},
  ): Promise<Item> {
    return this.put<Item>(`item/${encodeURIComponent(itemId)}/metadata`, { json: metadata, ...options });
  }
  /**
   * Adds metadata to a folder (`PUT folder/{id}/metadata`); a key set to null is deleted (as in Girder).
   * @param folderId - the folder id
   * @param metadata - keys to set (null deletes)
   * @param options - `signal`
   * @returns the updated folder
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  addMetadataToFolder(
    folderId: string,
    metadata: Record<string, unknown>,
    options: SignalOptions = {},
  ): Promise<Folder> {
    return this.put<Folder>(`folder/${encodeURIComponent(folderId)}/metadata`, {
      json: metadata,
      ...options,
    });
  }

  /**
   * Updates a job: appends `log` (or replaces it with `overwrite`), sets `status` and progress.
   * Sent form-encoded, as Girder's `PUT /job/{id}` expects; a job-scoped token is enough.
   * @param jobId - the job id
   * @param fields - `status` (a JobStatus number), `log`, `overwrite`, `progressTotal`,
   * `progressCurrent`, `progressMessage`, `notify`
   * @param options - `signal`
   * @returns the job as Girder answers it
   * @throws {@link GirderHttpError} 400 `field: "status"` for an invalid transition
   * @example
   * ```ts
   * await client.updateJob(jobId, { status: 2, log: 'started\n' });
   * ```
   */
  updateJob(
    jobId: string,
    fields: {
      status?: number;
      log?: string;
      overwrite?: boolean;
      progressTotal?: number;
      progressCurrent?: number;
      progressMessage?: string;
      notify?: boolean;
    },
    options: SignalOptions = {},
  ): Promise<Job> {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) form.set(key, String(value));
    return this.put<Job>(`job/${encodeURIComponent(jobId)}`, {
      body: form,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      ...options,
    });
  }
}
