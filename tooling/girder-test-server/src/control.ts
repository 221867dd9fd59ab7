import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultInjector } from './faults.ts';
import type { JobDoc, RequestRecord } from './models.ts';
import { readSmallBody } from './request-body.ts';
import type { SeedResult } from './seed.ts';

/** Internal: the URL prefix of the control routes (outside the API root, so no Girder route can clash). */
export const CONTROL_PREFIX = '/_control';

/** The header carrying the control token. */
const CONTROL_HEADER = 'girder-test-control';

/** Internal: what the control routes drive. */
export interface ControlTarget {
  readonly faults: FaultInjector;
  readonly requests: readonly RequestRecord[];
  seed(seed: unknown): Promise<SeedResult>;
  createJob(o: Record<string, unknown>): { job: JobDoc; token: string };
  getJob(id: string): JobDoc;
}

/** An error answered by a control route: `{ message, code }`. */
class ControlError extends Error {
  override readonly name = 'ControlError' as const;
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body) ?? 'null', 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': bytes.length });
  res.end(bytes);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readSmallBody(req)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new ControlError(400, `body: expected JSON, got a parse error (${(error as Error).message}).`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ControlError(400, 'body: expected a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

const FAULT_FIELDS: Record<string, readonly string[]> = {
  fail: ['kind', 'method', 'path', 'pathPattern', 'status', 'count', 'after', 'message'],
  cut: ['kind', 'method', 'path', 'pathPattern', 'afterBytes', 'count', 'after'],
  delay: ['kind', 'method', 'path', 'pathPattern', 'ms', 'count', 'after'],
};

/** Adds a fault from JSON: `{ kind: "fail" | "cut" | "delay", ... }`; `pathPattern` is a RegExp source. */
function addFault(faults: FaultInjector, body: Record<string, unknown>): void {
  const kind = body.kind;
  const allowed = typeof kind === 'string' ? FAULT_FIELDS[kind] : undefined;
  if (allowed === undefined) {
    throw new ControlError(400, `kind: expected "fail", "cut" or "delay", got ${JSON.stringify(kind)}.`);
  }
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new ControlError(
        400,
        `${key}: no such field for a "${kind}" fault (allowed: ${allowed.join(', ')}).`,
      );
    }
  }
  const { kind: _kind, pathPattern, ...rest } = body;
  if (pathPattern !== undefined && rest.path !== undefined) {
    throw new ControlError(400, 'path, pathPattern: expected at most one of them.');
  }
  const match: Record<string, unknown> = { ...rest };
  if (pathPattern !== undefined) {
    if (typeof pathPattern !== 'string') {
      throw new ControlError(
        400,
        `pathPattern: expected a RegExp source string, got ${JSON.stringify(pathPattern)}.`,
      );
    }
    try {
      match.path = new RegExp(pathPattern);
    } catch (error) {
      throw new ControlError(400, `pathPattern: ${(error as Error).message}.`);
    }
  }
  try {
    if (kind === 'fail') faults.failNext(match as unknown as Parameters<FaultInjector['failNext']>[0]);
    else if (kind === 'cut')
      faults.cutDownload(match as unknown as Parameters<FaultInjector['cutDownload']>[0]);
    else faults.delay(match as unknown as Parameters<FaultInjector['delay']>[0]);
  } catch (error) {
    throw new ControlError(400, (error as Error).message);
  }
}

const JOB_FIELDS: Record<string, (v: unknown) => boolean> = {
  title: (v) => typeof v === 'string',
  type: (v) => typeof v === 'string',
  userId: (v) => typeof v === 'string',
  status: (v) => Number.isInteger(v),
  handler: (v) => v === null || typeof v === 'string',
  public: (v) => typeof v === 'boolean',
  args: (v) => Array.isArray(v),
  kwargs: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
};
const JOB_EXPECTED: Record<string, string> = {
  title: 'a string',
  type: 'a string',
  userId: 'a user id',
  status: 'an integer status',
  handler: 'a string or null',
  public: 'a boolean',
  args: 'an array',
  kwargs: 'an object',
};

function checkJobOptions(body: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(body)) {
    const check = JOB_FIELDS[key];
    if (check === undefined) {
      throw new ControlError(
        400,
        `${key}: no such field for a job (allowed: ${Object.keys(JOB_FIELDS).join(', ')}).`,
      );
    }
    if (!check(value)) {
      throw new ControlError(400, `${key}: expected ${JOB_EXPECTED[key]}, got ${JSON.stringify(value)}.`);
    }
  }
}

/**
 * Internal: answers a request under {@link CONTROL_PREFIX}: loopback peers with the control token
 * only. Routes: `POST /seed`, `POST /faults`, `DELETE /faults`, `POST /jobs`, `GET /jobs/{id}`,
 * `GET /requests`.
 */
export async function handleControl(
  target: ControlTarget,
  token: string,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
): Promise<void> {
  try {
    if (!isLoopback(req.socket.remoteAddress))
      throw new ControlError(403, 'The control routes answer loopback peers only.');
    if (req.headers[CONTROL_HEADER] !== token) {
      throw new ControlError(403, `Missing or wrong ${CONTROL_HEADER} header (the token printed at start).`);
    }
    const route = `${method} ${path.slice(CONTROL_PREFIX.length) || '/'}`;
    if (route === 'POST /seed') return send(res, 200, await target.seed(await readJson(req)));
    if (route === 'POST /faults') {
      addFault(target.faults, await readJson(req));
      return send(res, 200, { pending: target.faults.pending });
    }
    if (route === 'DELETE /faults') {
      target.faults.clear();
      return send(res, 200, { pending: 0 });
    }
    if (route === 'POST /jobs') {
      const body = await readJson(req);
      checkJobOptions(body);
      return send(res, 200, target.createJob(body));
    }
    const job = /^GET \/jobs\/([^/]+)$/.exec(route);
    if (job) return send(res, 200, target.getJob(job[1] as string));
    if (route === 'GET /requests') return send(res, 200, target.requests);
    throw new ControlError(404, `No control route ${route}.`);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const status =
      error instanceof ControlError ? error.status : code === 'GIRDER_TEST_SERVER_NOT_FOUND' ? 404 : 400;
    send(res, status, {
      message: (error as Error).message,
      ...(typeof code === 'string' ? { code } : {}),
    });
  }
}
