import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTROL_PREFIX, handleControl } from './control.ts';
import { GirderTestServerError } from './errors.ts';
import { type FaultInjector, FaultStore } from './faults.ts';
import { type Reply, type RouteContext, Router, streamBody, writeBody } from './http.ts';
import { JobStatus } from './job-status.ts';
import type { FileDoc, FolderDoc, GirderUserDoc, ItemDoc, JobDoc, RequestRecord } from './models.ts';
import { girderDate } from './models.ts';
import { newObjectId } from './object-id.ts';
import { folderOut } from './output.ts';
import { Params } from './params.ts';
import { isFormContentType, readSmallBody } from './request-body.ts';
import { RestError } from './rest-error.ts';
import { addApiKeyRoutes } from './routes/api-key-routes.ts';
import { addCollectionRoutes } from './routes/collection-routes.ts';
import { addDescribeRoutes } from './routes/describe-routes.ts';
import { addFileRoutes } from './routes/file-routes.ts';
import { addFolderRoutes } from './routes/folder-routes.ts';
import { addItemRoutes } from './routes/item-routes.ts';
import { addJobRoutes } from './routes/job-routes.ts';
import { addResourceRoutes } from './routes/resource-routes.ts';
import { addSystemRoutes } from './routes/system-routes.ts';
import { addUserRoutes } from './routes/user-routes.ts';
import { applySeed, type GirderSeed, type SeedResult } from './seed.ts';
import { State } from './state.ts';
import { storeWholeFile } from './upload.ts';

/** Options of {@link startGirderTestServer}. */
export interface GirderTestServerOptions {
  /**
   * Address to listen on; only loopback is allowed.
   * @default "127.0.0.1"
   */
  host?: '127.0.0.1';
  /**
   * TCP port; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * Girder's `core.upload_minimum_chunk_size`: every chunk but the last must be at least this
   * many bytes ("Chunk is smaller than the minimum size."). Lower it to test with small data.
   * @default 5242880 (5 MiB, Girder's default)
   */
  minimumChunkSize?: number;
  /**
   * Whether uploads compute each file's SHA-512 (`sha512` in file documents), as Girder's
   * filesystem assetstore does. Hashing runs on the event loop and roughly halves upload
   * throughput; turn it off for throughput benchmarks.
   * @default true
   */
  checksums?: boolean;
  /**
   * The site admin created at start.
   * @default { login: "admin", password: "adminpassword" }
   */
  admin?: { login: string; password: string };
  /**
   * Serve the control routes under `<url>/_control/` (seed, faults, jobs, recorded requests) for
   * tests in another process or language. They answer loopback peers sending the header
   * `Girder-Test-Control: <control.token>` only.
   * @default false
   */
  control?: boolean;
}

/** A user created through the direct API, with credentials ready to use. */
export interface CreatedUser {
  /** The user document. */
  user: GirderUserDoc;
  /** A user-auth token (send as `Girder-Token`). */
  token: string;
  /** An API key (exchange with `POST /api_key/token?key=`). */
  apiKey: string;
  /** The id of the user's private folder "Private". */
  privateFolderId: string;
  /** The id of the user's public folder "Public". */
  publicFolderId: string;
}

/** The admin user and its credentials. */
export interface AdminCredentials extends CreatedUser {
  /** The admin's login. */
  login: string;
  /** The admin's password (for HTTP Basic on `/user/authentication`). */
  password: string;
}

/** A running Girder test server. */
export interface GirderTestServer extends AsyncDisposable {
  /** The server root, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The API root, `url + "/api/v1"`. */
  readonly apiUrl: string;
  /** The site admin (created at start) with a token, an API key and its folders. */
  readonly admin: AdminCredentials;
  /** Fault injection: failed statuses, cut response bodies, delays. */
  readonly faults: FaultInjector;
  /** The directory holding file bytes and partial uploads (removed by `close()`). */
  readonly dataDir: string;
  /** Every request answered so far, in completion order. */
  readonly requests: readonly RequestRecord[];
  /** The control routes (`url` + `/_control`) and their token, when started with `control: true`. */
  readonly control: { url: string; token: string } | undefined;
  /**
   * Creates users, collections, folders, items and files from a plain-JSON description (what
   * `bin/serve.ts --seed` and `POST /_control/seed` take). The whole seed is checked first.
   *
   * @param seed - The seed.
   * @returns Credentials by login and the id of every created resource by its Girder path.
   * @throws GirderTestServerError (`GIRDER_TEST_SERVER_INVALID_SEED`) naming the bad field.
   */
  seed(seed: GirderSeed): Promise<SeedResult>;
  /**
   * Creates a user with Girder's "Public" and "Private" folders, a token and an API key.
   *
   * @param o - Login, password, whether a site admin.
   * @returns The user and its credentials.
   * @throws A REST-style error when the login is already taken.
   */
  createUser(o: { login: string; password: string; admin?: boolean }): Promise<CreatedUser>;
  /**
   * Creates a token for a user (or none), with any scopes and lifetime.
   *
   * @param o - `userId` (null for a token without user), `scope` (default user auth), `days` (negative: expired).
   * @returns The token string.
   */
  createToken(o: { userId: string | null; scope?: string[]; days?: number }): string;
  /**
   * Creates a collection (public by default), owned by the admin.
   *
   * @param o - Its name and visibility.
   * @returns The collection id.
   * @throws A REST-style error when the name is empty or already taken (Girder's validation).
   */
  createCollection(o: { name: string; public?: boolean }): string;
  /**
   * Creates a folder. It inherits access and visibility from a parent folder or collection (as
   * Girder's `copyAccessPolicies`); under a user it is private unless `public` is set.
   *
   * @param o - Parent, name, visibility, creator (default the admin).
   * @returns The folder document.
   */
  createFolder(o: {
    parentType: 'user' | 'collection' | 'folder';
    parentId: string;
    name: string;
    public?: boolean;
    creatorId?: string;
  }): FolderDoc;
  /**
   * Creates an item in a folder (a taken name gets " (1)", as Girder does).
   *
   * @param o - Folder, name, creator (default the admin).
   * @returns The item document.
   */
  createItem(o: { folderId: string; name: string; creatorId?: string }): ItemDoc;
  /**
   * Creates a file in an item from bytes, a string, or a file on disk (streamed, not buffered).
   *
   * @param o - Item, name, data, MIME type (default application/octet-stream), creator.
   * @returns The file document.
   */
  createFile(o: {
    itemId: string;
    name: string;
    data: Buffer | string | { path: string };
    mimeType?: string;
    creatorId?: string;
  }): Promise<FileDoc>;
  /**
   * Creates a job as Girder hands it to girder_worker: handler "worker_handler", status QUEUED
   * (its worker transitions apply), owned by the admin, with a token scoped `jobs.job_<id>`
   * (no user) in `jobInfoSpec`.
   *
   * @param o - Title, type, owner, initial status, handler, visibility.
   * @returns The job (with log) and its scoped token.
   */
  createJob(o?: {
    title?: string;
    type?: string;
    userId?: string;
    status?: number;
    handler?: string | null;
    public?: boolean;
    args?: unknown[];
    kwargs?: Record<string, unknown>;
  }): { job: JobDoc; token: string };
  /** A snapshot of a job, log included. @param id - The job id. @returns The job. */
  getJob(id: string): JobDoc;
  /** A snapshot of a folder. @param id - The folder id. @returns The folder. */
  getFolder(id: string): FolderDoc;
  /** A snapshot of an item. @param id - The item id. @returns The item. */
  getItem(id: string): ItemDoc;
  /** A snapshot of a file. @param id - The file id. @returns The file. */
  getFile(id: string): FileDoc;
  /** The files of an item. @param itemId - The item id. @returns Its files in creation order. */
  listItemFiles(itemId: string): FileDoc[];
  /** The items of a folder. @param folderId - The folder id. @returns Its items in creation order. */
  listFolderItems(folderId: string): ItemDoc[];
  /** The sub-folders of a folder. @param folderId - The folder id. @returns Its folders in creation order. */
  listSubfolders(folderId: string): FolderDoc[];
  /** The artifacts posted to a job (files attached to it). @param jobId - The job id. @returns The files. */
  listJobArtifacts(jobId: string): FileDoc[];
  /** How many uploads are still open (not finalized nor canceled). */
  readonly openUploads: number;
  /**
   * Reads a file's bytes (meant for small files in assertions).
   *
   * @param id - The file id.
   * @returns The bytes.
   */
  getFileBytes(id: string): Promise<Buffer>;
  /**
   * Stops the server, drops open connections and removes `dataDir`. Idempotent.
   *
   * @returns When everything is released.
   */
  close(): Promise<void>;
}

const DEFAULT_MIN_CHUNK = 5 * 1024 * 1024;

interface NormalizedOptions {
  host: '127.0.0.1';
  port: number;
  minimumChunkSize: number;
  checksums: boolean;
  admin: { login: string; password: string };
  control: boolean;
}

function normalize(options: GirderTestServerOptions): NormalizedOptions {
  const invalid = (field: string, expected: string, got: unknown): never => {
    throw new GirderTestServerError(
      'GIRDER_TEST_SERVER_INVALID_OPTION',
      `startGirderTestServer: option "${field}" must be ${expected}, got ${JSON.stringify(got)}.`,
    );
  };
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') invalid('host', '"127.0.0.1" (loopback only)', host);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    invalid('port', 'an integer from 0 to 65535', port);
  const minimumChunkSize = options.minimumChunkSize ?? DEFAULT_MIN_CHUNK;
  if (!Number.isInteger(minimumChunkSize) || minimumChunkSize < 0) {
    invalid('minimumChunkSize', 'a non-negative integer (bytes)', minimumChunkSize);
  }
  const checksums = options.checksums ?? true;
  if (typeof checksums !== 'boolean') invalid('checksums', 'a boolean', checksums);
  const admin = options.admin ?? { login: 'admin', password: 'adminpassword' };
  if (!admin.login || typeof admin.password !== 'string')
    invalid('admin', '{ login, password } with a non-empty login', admin);
  const control = options.control ?? false;
  if (typeof control !== 'boolean') invalid('control', 'a boolean', control);
  return { host, port, minimumChunkSize, checksums, admin, control };
}

const API_ROOT = '/api/v1';

/**
 * Starts a Girder test server on a free loopback port: Girder's REST API for users, tokens, API
 * keys, folders, items, files (chunked uploads, ranged downloads, zip downloads) and jobs, with
 * state in memory and file bytes on disk.
 *
 * @param options - Host, port, minimum chunk size, admin credentials.
 * @returns The running server; `close()` it (or `await using`).
 * @throws GirderTestServerError on invalid options.
 * @example
 * ```ts
 * await using girder = await startGirderTestServer({ minimumChunkSize: 1024 });
 * const res = await fetch(`${girder.apiUrl}/folder/${girder.admin.privateFolderId}`, {
 *   headers: { 'Girder-Token': girder.admin.token },
 * });
 * console.log((await res.json()).name); // "Private"
 * ```
 */
export async function startGirderTestServer(
  options: GirderTestServerOptions = {},
): Promise<GirderTestServer> {
  const o = normalize(options);
  const dataDir = await mkdtemp(join(tmpdir(), 'girder-test-server-'));
  try {
    await mkdir(join(dataDir, 'assetstore'));
    await mkdir(join(dataDir, 'uploads'));
    const impl = new GirderTestServerImpl(dataDir, o);
    await impl.listen(o.host, o.port);
    return impl;
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

class GirderTestServerImpl implements GirderTestServer {
  readonly dataDir: string;
  readonly faults: FaultStore = new FaultStore();
  readonly requests: RequestRecord[] = [];
  readonly admin: AdminCredentials;
  private readonly state: State;
  private readonly router: Router = new Router();
  private readonly server: Server;
  private address = '';
  private readonly controlToken: string | undefined;
  private closing: Promise<void> | undefined;
  /** Aborted by close(): ends injected delays of requests still in flight. */
  private readonly closed: AbortController = new AbortController();

  constructor(dataDir: string, o: NormalizedOptions) {
    this.dataDir = dataDir;
    this.state = new State(dataDir, o.minimumChunkSize);
    this.state.checksums = o.checksums;
    addUserRoutes(this.router);
    addApiKeyRoutes(this.router);
    addCollectionRoutes(this.router);
    addFolderRoutes(this.router);
    addItemRoutes(this.router);
    addFileRoutes(this.router);
    addJobRoutes(this.router);
    addResourceRoutes(this.router);
    addSystemRoutes(this.router, new Date());
    addDescribeRoutes(this.router);
    if (o.control) this.controlToken = randomBytes(24).toString('hex');
    const admin = this.createUserSync({ ...o.admin, admin: true });
    this.admin = { ...admin, login: o.admin.login, password: o.admin.password };
    this.server = createServer({ keepAliveTimeout: 5000, requestTimeout: 0 }, (req, res) => {
      void this.handle(req, res);
    });
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port: actual } = this.server.address() as AddressInfo;
    this.address = `http://${host}:${actual}`;
    this.state.apiUrl = this.apiUrl;
  }

  get url(): string {
    return this.address;
  }

  get apiUrl(): string {
    return `${this.address}${API_ROOT}`;
  }

  get openUploads(): number {
    return this.state.uploads.size;
  }

  // ------------------------------------------------------------------ direct API

  get control(): { url: string; token: string } | undefined {
    if (this.controlToken === undefined) return undefined;
    return { url: `${this.address}${CONTROL_PREFIX}`, token: this.controlToken };
  }

  seed(seed: GirderSeed): Promise<SeedResult> {
    return applySeed(
      {
        state: this.state,
        admin: this.adminDoc(),
        createUser: (u) => this.createUserSync(u),
        createFile: (f) => this.createFile(f),
      },
      seed,
    );
  }

  private createUserSync(o: {
    login: string;
    password: string;
    admin?: boolean;
    email?: string;
    firstName?: string;
    lastName?: string;
  }): CreatedUser {
    const record = this.state.createUser(o);
    const folders = [...this.state.folders.values()].filter(
      (f) => f.doc.parentCollection === 'user' && f.doc.parentId === record.doc._id,
    );
    return {
      user: { ...record.doc },
      token: this.state.createToken(record.doc._id).token,
      apiKey: this.state.createApiKey(record.doc._id),
      privateFolderId: folders.find((f) => f.doc.name === 'Private')?.doc._id as string,
      publicFolderId: folders.find((f) => f.doc.name === 'Public')?.doc._id as string,
    };
  }

  async createUser(o: { login: string; password: string; admin?: boolean }): Promise<CreatedUser> {
    return this.createUserSync(o);
  }

  createToken(o: { userId: string | null; scope?: string[]; days?: number }): string {
    if (o.userId !== null) this.state.mustGet(this.state.users, 'user', o.userId);
    return this.state.createToken(o.userId, o.scope, o.days).token;
  }

  createCollection(o: { name: string; public?: boolean }): string {
    const args: { name: string; public?: boolean; creator: GirderUserDoc } = {
      name: o.name,
      creator: this.adminDoc(),
    };
    if (o.public !== undefined) args.public = o.public;
    return this.state.createCollection(args).doc._id;
  }

  private adminDoc(): GirderUserDoc {
    return this.state.mustGet(this.state.users, 'user', this.admin.user._id).doc;
  }

  private creator(creatorId: string | undefined): GirderUserDoc {
    return creatorId === undefined
      ? this.adminDoc()
      : this.state.mustGet(this.state.users, 'user', creatorId).doc;
  }

  createFolder(o: {
    parentType: 'user' | 'collection' | 'folder';
    parentId: string;
    name: string;
    public?: boolean;
    creatorId?: string;
  }): FolderDoc {
    const record = this.state.createFolder({
      parentType: o.parentType,
      parentId: o.parentId,
      name: o.name,
      public: o.public,
      creator: this.creator(o.creatorId),
    });
    return folderOut(this.state, record, undefined);
  }

  createItem(o: { folderId: string; name: string; creatorId?: string }): ItemDoc {
    return {
      ...this.state.createItem({ folderId: o.folderId, name: o.name, creator: this.creator(o.creatorId) }),
    };
  }

  async createFile(o: {
    itemId: string;
    name: string;
    data: Buffer | string | { path: string };
    mimeType?: string;
    creatorId?: string;
  }): Promise<FileDoc> {
    this.state.mustGet(this.state.items, 'item', o.itemId);
    let size: number;
    let body: AsyncIterable<unknown>;
    if (typeof o.data === 'string' || Buffer.isBuffer(o.data)) {
      const bytes = typeof o.data === 'string' ? Buffer.from(o.data) : o.data;
      size = bytes.length;
      body = (async function* () {
        yield bytes;
      })();
    } else {
      size = (await stat(o.data.path)).size;
      body = createReadStream(o.data.path);
    }
    return storeWholeFile(this.state, {
      user: this.creator(o.creatorId),
      name: o.name,
      size,
      mimeType: o.mimeType ?? 'application/octet-stream',
      parentType: 'item',
      parentId: o.itemId,
      body,
    });
  }

  createJob(
    o: {
      title?: string;
      type?: string;
      userId?: string;
      status?: number;
      handler?: string | null;
      public?: boolean;
      args?: unknown[];
      kwargs?: Record<string, unknown>;
    } = {},
  ): { job: JobDoc; token: string } {
    const owner = this.creator(o.userId);
    const id = newObjectId();
    const token = this.state.createToken(null, [`jobs.job_${id}`], 7);
    const now = girderDate();
    const status = o.status ?? JobStatus.QUEUED;
    const doc: JobDoc = {
      _id: id,
      _modelType: 'job',
      title: o.title ?? 'test job',
      type: o.type ?? 'girder_worker.docker_run',
      handler: o.handler === undefined ? 'worker_handler' : o.handler,
      status,
      log: [],
      progress: null,
      timestamps: status === JobStatus.INACTIVE ? [] : [{ status, time: now }],
      args: o.args ?? [],
      kwargs: o.kwargs ?? {},
      meta: {},
      created: now,
      updated: now,
      when: now,
      interval: 0,
      asynchronous: false,
      parentId: null,
      userId: owner._id,
      public: o.public ?? false,
      jobInfoSpec: {
        method: 'PUT',
        url: `${this.apiUrl}/job/${id}`,
        reference: id,
        headers: { 'Girder-Token': token.token },
        logPrint: true,
      },
    };
    this.state.jobs.set(id, { doc, access: new Map([[owner._id, 2]]) });
    return { job: structuredClone(doc), token: token.token };
  }

  getJob(id: string): JobDoc {
    return structuredClone(this.state.mustGet(this.state.jobs, 'job', id).doc);
  }

  getFolder(id: string): FolderDoc {
    return folderOut(this.state, this.state.mustGet(this.state.folders, 'folder', id), undefined);
  }

  getItem(id: string): ItemDoc {
    return structuredClone(this.state.mustGet(this.state.items, 'item', id));
  }

  getFile(id: string): FileDoc {
    return structuredClone(this.state.mustGet(this.state.files, 'file', id));
  }

  listItemFiles(itemId: string): FileDoc[] {
    return this.state.itemFiles(itemId).map((f) => structuredClone(f));
  }

  listFolderItems(folderId: string): ItemDoc[] {
    return [...this.state.items.values()]
      .filter((i) => i.folderId === folderId)
      .map((i) => structuredClone(i));
  }

  listSubfolders(folderId: string): FolderDoc[] {
    return [...this.state.folders.values()]
      .filter((f) => f.doc.parentCollection === 'folder' && f.doc.parentId === folderId)
      .map((f) => folderOut(this.state, f, undefined));
  }

  listJobArtifacts(jobId: string): FileDoc[] {
    return [...this.state.files.values()]
      .filter((f) => f.attachedToType === 'job' && f.attachedToId === jobId)
      .map((f) => structuredClone(f));
  }

  async getFileBytes(id: string): Promise<Buffer> {
    this.state.mustGet(this.state.files, 'file', id);
    return readFile(this.state.filePath(id));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed.abort();
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      await closed;
      await rm(this.dataDir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const fullPath = url.pathname;
    if (
      this.controlToken !== undefined &&
      (fullPath === CONTROL_PREFIX || fullPath.startsWith(`${CONTROL_PREFIX}/`))
    ) {
      await handleControl(this, this.controlToken, req, res, method, fullPath);
      return;
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const record: RequestRecord = { method, path: fullPath, query, status: 0 };
    let recorded = false;
    const done = (): void => {
      if (recorded) return;
      recorded = true;
      record.status = res.headersSent ? res.statusCode : 0;
      this.requests.push(record);
    };
    res.once('finish', done);
    res.once('close', done);
    res.setHeader('Girder-Request-Uid', randomUUID());
    const relPath = fullPath.startsWith(`${API_ROOT}/`) ? fullPath.slice(API_ROOT.length) : fullPath;
    let ctx: RouteContext | undefined;
    try {
      const delay = this.faults.takeDelay(method, relPath, fullPath);
      if (delay) {
        record.fault = 'delay';
        await sleep(delay.ms, undefined, { signal: this.closed.signal });
      }
      const fail = this.faults.takeFail(method, relPath, fullPath);
      if (fail) {
        record.fault = 'fail';
        await this.sendJson(res, fail.status, {
          message: fail.message ?? `Injected fault (status ${fail.status}).`,
          type: 'rest',
        });
        return;
      }
      const cut = this.faults.takeCut(method, relPath, fullPath);
      if (cut) record.fault = 'cut';
      if (!fullPath.startsWith(`${API_ROOT}/`)) {
        await this.sendJson(
          res,
          404,
          { message: `No such path: ${fullPath}`, type: 'rest' },
          cut?.afterBytes,
        );
        return;
      }
      const parts = relPath.split('/').filter(Boolean).map(safeDecode);
      const headerToken = req.headers['girder-token'];
      const tokenText = (Array.isArray(headerToken) ? headerToken[0] : headerToken) ?? query.token;
      const token = tokenText ? this.state.tokens.get(tokenText) : undefined;
      for (const key of url.searchParams.keys()) {
        if (url.searchParams.getAll(key).length > 1) {
          throw new RestError('rest', `Parameter "${key}" must not be specified multiple times.`, {
            status: 400,
          });
        }
      }
      ctx = {
        state: this.state,
        req,
        res,
        method,
        path: {},
        params: new Params(query),
        token,
        user: this.state.userForToken(token, []),
        bodyConsumed: false,
        cutAfterBytes: cut?.afterBytes,
      };
      const matched = this.router.match(method, parts);
      if (matched === undefined) {
        await this.sendJson(
          res,
          404,
          { message: `No such resource: ${parts[0] ?? ''}`, type: 'rest' },
          cut?.afterBytes,
        );
        return;
      }
      ctx.path = matched.path;
      ctx.user = this.state.userForToken(token, matched.route.scopes);
      const access = matched.route.access;
      if (access === 'user' && ctx.user === undefined)
        throw new RestError('access', 'You must be logged in.');
      if (access === 'admin' && !ctx.user?.admin) {
        throw new RestError('access', ctx.user ? 'Administrator access required.' : 'You must be logged in.');
      }
      if (access === 'token' && (token === undefined || token.expires.getTime() < Date.now())) {
        throw new RestError('access', 'You must be logged in or have a valid auth token.');
      }
      if (
        isFormContentType(req.headers['content-type']) &&
        req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
      ) {
        const form = new URLSearchParams((await readSmallBody(req)).toString('utf8'));
        ctx.bodyConsumed = true;
        const merged: Record<string, string> = {};
        for (const [k, v] of form) merged[k] = v;
        ctx.params = new Params({ ...merged, ...query });
      }
      const reply = await matched.route.handler(ctx);
      await this.send(res, reply, ctx.cutAfterBytes);
    } catch (error) {
      await this.sendError(res, error, ctx?.user);
    }
  }

  private async send(res: ServerResponse, reply: Reply, cutAfterBytes: number | undefined): Promise<void> {
    if (reply.kind === 'json') {
      await this.sendJson(res, reply.status ?? 200, reply.body, cutAfterBytes, reply.headers);
      return;
    }
    res.writeHead(reply.status, reply.headers);
    await streamBody(res, reply.body, cutAfterBytes);
  }

  private async sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    cutAfterBytes?: number,
    headers: Record<string, string | number> = {},
  ): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(body) ?? 'null', 'utf8');
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': bytes.length });
    await writeBody(res, bytes, cutAfterBytes);
  }

  private async sendError(
    res: ServerResponse,
    error: unknown,
    user: GirderUserDoc | undefined,
  ): Promise<void> {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    let status = 500;
    let body: Record<string, unknown>;
    if (error instanceof RestError) {
      status =
        error.status ?? (error.type === 'access' ? (user ? 403 : 401) : error.type === 'girder' ? 500 : 400);
      body = { message: error.message, type: error.type };
      if (error.field !== undefined) body.field = error.field;
    } else {
      body = {
        message: `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`,
        type: 'internal',
        uid: res.getHeader('Girder-Request-Uid'),
      };
    }
    try {
      await this.sendJson(res, status, body);
    } catch {
      res.destroy();
    }
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
