import type { GirderTestServer } from '../src/index.ts';

/** A raw `fetch` against the server's API root, with an optional token. */
export function api(
  server: GirderTestServer,
  path: string,
  init: RequestInit & { token?: string | undefined } = {},
): Promise<Response> {
  const { token, headers, ...rest } = init;
  const all = new Headers(headers);
  if (token !== undefined) all.set('Girder-Token', token);
  return fetch(`${server.apiUrl}${path}`, { ...rest, headers: all });
}

/** A form-encoded body, as girder_client sends PUT/POST parameters. */
export function form(fields: Record<string, string | number | boolean>): RequestInit {
  return {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(
      Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString(),
  };
}

/** The JSON body and status of a response. */
export async function jsonOf<T = Record<string, unknown>>(
  res: Response,
): Promise<{ status: number; body: T }> {
  return { status: res.status, body: (await res.json()) as T };
}

/** HTTP Basic credentials. */
export function basic(login: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}` };
}
