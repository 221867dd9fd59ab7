import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertNoLeaks, makeTempDir } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { startGirderTestServerProcess } from '../src/index.ts';
import { basic } from './helpers.ts';

const SERVE = fileURLToPath(new URL('../bin/serve.ts', import.meta.url));

interface ServeInfo {
  url: string;
  apiUrl: string;
  token: string;
  admin: {
    _id: string;
    login: string;
    password: string;
    token: string;
    apiKey: string;
    privateFolderId: string;
  };
  seed?: {
    users: Record<string, { _id: string; token: string; apiKey: string; apiKeys: string[] }>;
    paths: Record<string, string>;
  };
  control?: { url: string; token: string };
}

/** Runs bin/serve.ts with `args` until it exits or prints its line; stops it when the test ends. */
async function serve(args: string[]): Promise<{ info?: ServeInfo; code?: number | null; stderr: string }> {
  const child = spawn(process.execPath, [SERVE, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit');
  running.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      await exited;
    }
  });
  let out = '';
  const line = await new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', () => resolve(undefined));
  });
  if (line === undefined) return { code: child.exitCode, stderr };
  return { info: JSON.parse(line) as ServeInfo, stderr };
}

/** Stops the servers a test started (stdin closed: the server closes and removes its data). */
const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stop) => stop()));
  await assertNoLeaks({ containers: false });
});

describe('bin/serve.ts', () => {
  it('prints one JSON line with the URLs, the admin credentials and an API key that work', async () => {
    const { info } = await serve([]);
    if (!info) throw new Error('no line');
    expect(info.apiUrl).toBe(`${info.url}/api/v1`);
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.admin).toMatchObject({ login: 'admin', password: 'adminpassword' });
    const login = await fetch(`${info.apiUrl}/user/authentication`, {
      headers: basic(info.admin.login, info.admin.password),
    });
    expect(login.status).toBe(200);
    await login.body?.cancel();
    const key = await fetch(`${info.apiUrl}/api_key/token?key=${info.admin.apiKey}`, { method: 'POST' });
    const token = ((await key.json()) as { authToken: { token: string } }).authToken.token;
    const me = (await (
      await fetch(`${info.apiUrl}/user/me`, { headers: { 'Girder-Token': token } })
    ).json()) as {
      _id: string;
    };
    expect(me._id).toBe(info.admin._id);
    expect(info.control).toBeUndefined();
    const control = await fetch(`${info.url}/_control/requests`);
    expect(control.status).toBe(404);
    await control.body?.cancel();
  });

  it('creates what a seed file describes and reports the ids by Girder path', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, 'host.bin'), Buffer.from([0, 1, 2, 255]));
    const seed = {
      users: [{ login: 'bob', password: 'bobpassword', apiKeys: [{ scope: ['jobs.rest.create_job'] }] }],
      collections: [
        {
          name: 'Data',
          creator: 'bob',
          folders: [
            {
              name: 'in',
              meta: { stage: 'raw' },
              files: [{ name: 'host.bin', path: join(dir, 'host.bin') }],
              items: [
                {
                  name: 'pair',
                  files: [
                    { name: 'a', content: 'A' },
                    { name: 'b', base64: 'Qg==' },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'seed.json'), JSON.stringify(seed));
    const { info } = await serve(['--seed', join(dir, 'seed.json')]);
    if (!info?.seed) throw new Error('no seed result');
    const bob = info.seed.users.bob;
    expect(bob).toBeDefined();
    const get = async (path: string, token = bob?.token as string) =>
      fetch(`${info.apiUrl}${path}`, { headers: { 'Girder-Token': token } });
    const found = (await (
      await get(`/resource/lookup?path=${encodeURIComponent('/collection/Data/in')}`)
    ).json()) as {
      _id: string;
      meta: object;
    };
    expect(found).toMatchObject({ _id: info.seed.paths['/collection/Data/in'], meta: { stage: 'raw' } });
    const bytes = Buffer.from(
      await (
        await get(`/file/${info.seed.paths['/collection/Data/in/host.bin/host.bin']}/download`)
      ).arrayBuffer(),
    );
    expect([...bytes]).toEqual([0, 1, 2, 255]);
    const b = await (await get(`/file/${info.seed.paths['/collection/Data/in/pair/b']}/download`)).text();
    expect(b).toBe('B');
    const jobKey = await fetch(`${info.apiUrl}/api_key/token?key=${bob?.apiKeys[0]}`, { method: 'POST' });
    const scoped = ((await jobKey.json()) as { authToken: { token: string; scope: string[] } }).authToken;
    expect(scoped.scope).toEqual(['jobs.rest.create_job']);
    const job = await fetch(`${info.apiUrl}/job?title=t&type=t`, {
      method: 'POST',
      headers: { 'Girder-Token': scoped.token },
    });
    const jobId = ((await job.json()) as { _id: string })._id;
    // The job belongs to bob: his login token reads it with admin access.
    const asBob = (await (await get(`/job/${jobId}`)).json()) as { _accessLevel: number };
    expect(asBob._accessLevel).toBe(2);
    const asAdmin = await get(`/job/${jobId}`, info.admin.token);
    expect(((await asAdmin.json()) as { _accessLevel: number })._accessLevel).toBe(2);
  });

  it('exits 2 naming the field of an invalid seed, and on an unknown argument', async () => {
    const dir = await makeTempDir();
    await writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({ collections: [{ name: 'x', folders: [{ nme: 'y' }] }] }),
    );
    const bad = await serve(['--seed', join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('seed.collections[0].folders[0].nme: expected no such field');
    const unknown = await serve(['--nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown argument "--nope"');
  });
});

describe('the control routes (--control)', () => {
  async function started(): Promise<ServeInfo & { control: { url: string; token: string } }> {
    const { info } = await serve(['--control']);
    if (!info?.control) throw new Error('no control');
    return info as ServeInfo & { control: { url: string; token: string } };
  }
  const call = (
    info: { control: { url: string; token: string } },
    method: string,
    path: string,
    body?: unknown,
  ) =>
    fetch(`${info.control.url}${path}`, {
      method,
      headers: { 'Girder-Test-Control': info.control.token, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('injects faults from outside the process and clears them', async () => {
    const info = await started();
    const added = await call(info, 'POST', '/faults', {
      kind: 'fail',
      method: 'GET',
      path: '/system/version',
      status: 503,
      count: 2,
    });
    expect(await added.json()).toEqual({ pending: 1 });
    const first = await fetch(`${info.apiUrl}/system/version`);
    expect(first.status).toBe(503);
    expect(await first.json()).toEqual({ message: 'Injected fault (status 503).', type: 'rest' });
    await call(info, 'POST', '/faults', {
      kind: 'cut',
      pathPattern: '^/file/[0-9a-f]+/download$',
      afterBytes: 1,
    });
    expect(await (await call(info, 'DELETE', '/faults')).json()).toEqual({ pending: 0 });
    expect((await fetch(`${info.apiUrl}/system/version`)).status).toBe(200);
    const requests = (await (await call(info, 'GET', '/requests')).json()) as {
      path: string;
      status: number;
      fault?: string;
    }[];
    expect(requests.map((r) => [r.path, r.status, r.fault])).toEqual([
      ['/api/v1/system/version', 503, 'fail'],
      ['/api/v1/system/version', 200, undefined],
    ]);
  });

  it('creates worker jobs with a scoped token, and reads them back with their log', async () => {
    const info = await started();
    const created = (await (
      await call(info, 'POST', '/jobs', { title: 'from outside', kwargs: { a: 1 } })
    ).json()) as {
      job: { _id: string; status: number; jobInfoSpec: { url: string; headers: Record<string, string> } };
      token: string;
    };
    expect(created.job.status).toBe(1);
    expect(created.job.jobInfoSpec.url).toBe(`${info.apiUrl}/job/${created.job._id}`);
    const put = await fetch(`${created.job.jobInfoSpec.url}?status=2&log=hello`, {
      method: 'PUT',
      headers: created.job.jobInfoSpec.headers,
    });
    expect(put.status).toBe(200);
    await put.body?.cancel();
    const job = (await (await call(info, 'GET', `/jobs/${created.job._id}`)).json()) as {
      status: number;
      log: string[];
    };
    expect(job).toMatchObject({ status: 2, log: ['hello'] });
    const missing = await call(info, 'GET', '/jobs/0123456789abcdef01234567');
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
  });

  it('seeds over HTTP and refuses bad input naming the field', async () => {
    const info = await started();
    const seeded = (await (
      await call(info, 'POST', '/seed', { users: [{ login: 'zoe', password: 'pw' }] })
    ).json()) as {
      users: Record<string, { _id: string }>;
    };
    expect(seeded.users.zoe?._id).toMatch(/^[0-9a-f]{24}$/);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/faults', { kind: 'explode' }, 'kind: expected "fail", "cut" or "delay", got "explode".'],
      ['POST', '/faults', { kind: 'fail', status: 500, extra: 1 }, 'extra: no such field for a "fail" fault'],
      ['POST', '/faults', { kind: 'delay', ms: -1 }, 'delay: ms must be a non-negative number, got -1.'],
      ['POST', '/jobs', { title: 5 }, 'title: expected a string, got 5.'],
      [
        'POST',
        '/seed',
        { users: [{ login: 'x' }] },
        'seed.users[0].password: expected a string, got undefined.',
      ],
      ['GET', '/nothing', undefined, 'No control route GET /nothing.'],
    ];
    for (const [method, path, body, message] of cases) {
      const res = await call(info, method, path, body);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(((await res.json()) as { message: string }).message).toContain(message);
    }
  });

  it('answers 403 without the control token', async () => {
    const info = await started();
    const res = await fetch(`${info.control.url}/requests`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toContain('girder-test-control');
  });
});

describe('startGirderTestServerProcess', () => {
  it('starts bin/serve.ts with a seed and control routes, and stops it', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, 'seed.json'), JSON.stringify({ collections: [{ name: 'P' }] }));
    const server = await startGirderTestServerProcess({ control: true, seedFile: join(dir, 'seed.json') });
    running.push(() => server.close());
    expect(server.seed?.paths['/collection/P']).toMatch(/^[0-9a-f]{24}$/);
    expect(server.admin.login).toBe('admin');
    const res = await fetch(`${server.control?.url}/requests`, {
      headers: { 'Girder-Test-Control': server.control?.token ?? '' },
    });
    expect(await res.json()).toEqual([]);
    await server.close();
    await expect(fetch(`${server.apiUrl}/system/version`)).rejects.toThrow();
  });
});
