import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GirderUserDoc } from './models.ts';
import type { Params } from './params.ts';
import { restError } from './rest-error.ts';
import type { State, TokenRecord } from './state.ts';

/** Internal: token scopes of girder/constants.py `TokenScope`. */
export const Scope = {
  DATA_READ: 'core.data.read',
  DATA_WRITE: 'core.data.write',
  DATA_OWN: 'core.data.own',
} as const;

/** Internal: what a handler gets. */
export interface RouteContext {
  state: State;
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path params (`:id` → `id`). */
  path: Record<string, string>;
  params: Params;
  token: TokenRecord | undefined;
  user: GirderUserDoc | undefined;
  /** Whether the request body was already consumed (a urlencoded form). */
  bodyConsumed: boolean;
  /** Cut the response body after this many bytes (fault injection). */
  cutAfterBytes: number | undefined;
}

/** Internal: a handler's answer. */
export type Reply =
  | { kind: 'json'; body: unknown; status?: number; headers?: Record<string, string | number> }
  | { kind: 'stream'; body: Readable; status: number; headers: Record<string, string | number> };

/** Internal: who may call a route (girder/api/access.py). */
type AccessLevel = 'public' | 'user' | 'token' | 'admin';

/** Internal: one route. */
export interface Route {
  method: string;
  segments: string[];
  access: AccessLevel;
  scopes: string[];
  handler: (ctx: RouteContext) => Promise<Reply> | Reply;
}

/** Internal: a JSON reply. */
export function json(body: unknown, headers?: Record<string, string | number>): Reply {
  return headers === undefined ? { kind: 'json', body } : { kind: 'json', body, headers };
}

/**
 * Internal: the route table, matched as girder/api/rest.py `Resource._matchRoute`: by resource
 * (first segment), then by length, literal segments before wildcards.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(route: Route): void {
    this.routes.push(route);
  }

  /** Every route, in the order added (for GET /describe). */
  list(): readonly Route[] {
    return this.routes;
  }

  /**
   * Finds the route. An unknown resource gives `undefined` (the server answers 404); a known
   * resource without a matching route is Girder's 400 'No matching route for "GET a/b"'.
   */
  match(method: string, parts: string[]): { route: Route; path: Record<string, string> } | undefined {
    const [resource, ...rest] = parts;
    const ofResource = this.routes.filter((r) => r.segments[0] === resource);
    if (ofResource.length === 0) return undefined;
    const candidates = ofResource
      .filter((r) => r.method === method && r.segments.length === parts.length)
      .sort((a, b) => specificity(b) - specificity(a));
    for (const route of candidates) {
      const path: Record<string, string> = {};
      let ok = true;
      for (let i = 1; i < parts.length; i++) {
        const seg = route.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith(':')) path[seg.slice(1)] = part;
        else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (ok) return { route, path };
    }
    throw restError(`No matching route for "${method} ${rest.join('/')}"`);
  }
}

function specificity(route: Route): number {
  // Literal segments earlier in the route win over wildcards in the same position.
  let score = 0;
  for (let i = 0; i < route.segments.length; i++) {
    if (!(route.segments[i] as string).startsWith(':')) score += 2 ** (route.segments.length - i);
  }
  return score;
}

/** Internal: writes a buffer, or its first `cutAfterBytes` bytes and then destroys the socket. */
export async function writeBody(
  res: ServerResponse,
  body: Buffer,
  cutAfterBytes: number | undefined,
): Promise<void> {
  if (cutAfterBytes === undefined || cutAfterBytes >= body.length) {
    await new Promise<void>((resolve) => res.end(body, resolve));
    return;
  }
  await cutAfter(res, body.subarray(0, cutAfterBytes));
}

async function cutAfter(res: ServerResponse, last: Buffer): Promise<void> {
  await new Promise<void>((resolve) => {
    if (last.length === 0) resolve();
    else res.write(last, () => resolve());
  });
  res.socket?.destroy();
  res.destroy();
}

/** Internal: streams a body with backpressure; with a cut, stops after that many bytes and destroys the socket. */
export async function streamBody(
  res: ServerResponse,
  body: Readable,
  cutAfterBytes: number | undefined,
): Promise<void> {
  if (cutAfterBytes === undefined) {
    await pipeline(body, res);
    return;
  }
  let sent = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      if (sent + buf.length > cutAfterBytes) {
        await cutAfter(res, buf.subarray(0, cutAfterBytes - sent));
        return;
      }
      sent += buf.length;
      if (!res.write(buf)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = (): void => {
            res.off('close', onClose);
            resolve();
          };
          const onClose = (): void => {
            res.off('drain', onDrain);
            reject(new Error('the client closed the connection'));
          };
          res.once('drain', onDrain);
          res.once('close', onClose);
        });
      }
    }
    await new Promise<void>((resolve) => res.end(resolve));
  } finally {
    body.destroy();
  }
}
