import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GirderTestServer, startGirderTestServer } from '../src/index.ts';
import { api, basic, form, jsonOf } from './helpers.ts';

let girder: GirderTestServer;
beforeAll(async () => {
  girder = await startGirderTestServer();
});
afterAll(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});
afterEach(() => girder.faults.clear());

describe('GET /user/authentication', () => {
  it('returns the user and a user-auth token for good Basic credentials', async () => {
    const { status, body } = await jsonOf<{
      user: { login: string; _modelType: string };
      authToken: { token: string; scope: string[]; expires: string };
    }>(await api(girder, '/user/authentication', { headers: basic('admin', 'adminpassword') }));
    expect(status).toBe(200);
    expect(body.user).toMatchObject({ login: 'admin', _modelType: 'user', _id: girder.admin.user._id });
    expect(body.authToken.token).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(body.authToken.scope).toEqual(['core.user_auth']);
    expect(Date.parse(body.authToken.expires)).toBeGreaterThan(Date.now());
    const me = await jsonOf(await api(girder, '/user/me', { token: body.authToken.token }));
    expect(me.body).toMatchObject({ login: 'admin' });
  });

  it('answers 401 "Login failed." with type access for a wrong password', async () => {
    const { status, body } = await jsonOf(
      await api(girder, '/user/authentication', { headers: basic('admin', 'nope') }),
    );
    expect(status).toBe(401);
    expect(body).toEqual({ message: 'Login failed.', type: 'access' });
  });

  it('answers 401 asking for Basic auth when no credentials come', async () => {
    const { status, body } = await jsonOf(await api(girder, '/user/authentication'));
    expect(status).toBe(401);
    expect(body).toEqual({ message: 'Use HTTP Basic Authentication', type: 'rest' });
  });

  it('accepts the login case-insensitively', async () => {
    const res = await api(girder, '/user/authentication', { headers: basic('ADMIN', 'adminpassword') });
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });
});

describe('tokens', () => {
  it('authenticates by the Girder-Token header and by the token query parameter', async () => {
    const byHeader = await jsonOf(await api(girder, '/user/me', { token: girder.admin.token }));
    expect(byHeader.body).toMatchObject({ _id: girder.admin.user._id });
    const byQuery = await jsonOf(await api(girder, `/user/me?token=${girder.admin.token}`));
    expect(byQuery.body).toMatchObject({ _id: girder.admin.user._id });
  });

  it('answers null for /user/me without a token', async () => {
    const { status, body } = await jsonOf(await api(girder, '/user/me'));
    expect(status).toBe(200);
    expect(body).toBeNull();
  });

  it('treats an unknown or expired token as anonymous (401 where a login is needed)', async () => {
    const unknown = await jsonOf(await api(girder, '/folder', { method: 'POST', token: 'x'.repeat(64) }));
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ message: 'You must be logged in.', type: 'access' });
    const expired = girder.createToken({ userId: girder.admin.user._id, days: -1 });
    const me = await jsonOf(await api(girder, '/user/me', { token: expired }));
    expect(me.body).toBeNull();
  });
});

describe('POST /api_key/token', () => {
  it('exchanges an API key for a token of its user', async () => {
    const { status, body } = await jsonOf<{ user: { _id: string }; authToken: { token: string } }>(
      await api(girder, `/api_key/token?key=${girder.admin.apiKey}`, { method: 'POST' }),
    );
    expect(status).toBe(200);
    expect(body.user).toEqual({ _id: girder.admin.user._id });
    const me = await jsonOf(await api(girder, '/user/me', { token: body.authToken.token }));
    expect(me.body).toMatchObject({ login: 'admin' });
  });

  it('answers 400 "Invalid API key." for an unknown key', async () => {
    const { status, body } = await jsonOf(await api(girder, '/api_key/token?key=nope', { method: 'POST' }));
    expect(status).toBe(400);
    expect(body).toEqual({ message: 'Invalid API key.', type: 'validation' });
  });

  it('requires the key parameter', async () => {
    const { status, body } = await jsonOf(await api(girder, '/api_key/token', { method: 'POST' }));
    expect(status).toBe(400);
    expect(body).toEqual({ message: 'Parameter "key" is required.', type: 'rest' });
  });
});

describe('users created through the direct API', () => {
  it('get a Public and a Private folder and working credentials', async () => {
    const bob = await girder.createUser({ login: 'bob', password: 'bobpassword' });
    const folders = await jsonOf<{ name: string; public: boolean; _id: string }[]>(
      await api(girder, `/folder?parentType=user&parentId=${bob.user._id}`, { token: bob.token }),
    );
    expect(folders.body.map((f) => [f.name, f.public])).toEqual([
      ['Private', false],
      ['Public', true],
    ]);
    expect(folders.body.find((f) => f.name === 'Private')?._id).toBe(bob.privateFolderId);
    const login = await api(girder, '/user/authentication', { headers: basic('bob', 'bobpassword') });
    expect(login.status).toBe(200);
    await login.body?.cancel();
  });
});

describe('GET /user', () => {
  it('lists users by last name, pages without Girder-Total-Count, and shows others only public fields', async () => {
    const carol = await girder.createUser({ login: 'carol', password: 'carolpassword' });
    const res = await api(girder, '/user?limit=0', { token: carol.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('Girder-Total-Count')).toBeNull();
    const users = (await res.json()) as Record<string, unknown>[];
    expect(users.map((u) => u.login)).toContain('admin');
    const admin = users.find((u) => u.login === 'admin') as Record<string, unknown>;
    expect(Object.keys(admin).sort()).toEqual(
      [
        '_accessLevel',
        '_id',
        '_modelType',
        'admin',
        'created',
        'firstName',
        'lastName',
        'login',
        'public',
      ].sort(),
    );
    expect(admin._accessLevel).toBe(0);
    const self = users.find((u) => u.login === 'carol') as Record<string, unknown>;
    expect(self).toMatchObject({ email: 'carol@example.com', _accessLevel: 2 });
    const page = (await (
      await api(girder, '/user?limit=1&offset=1', { token: carol.token })
    ).json()) as unknown[];
    expect(page).toHaveLength(1);
    expect(page[0]).toEqual(users[1]);
  });

  it('answers 401 to anonymous requests', async () => {
    const { status, body } = await jsonOf(await api(girder, '/user'));
    expect(status).toBe(401);
    expect(body).toEqual({ message: 'You must be logged in.', type: 'access' });
  });
});

describe('POST /api_key', () => {
  it('creates a key with scopes whose tokens carry them', async () => {
    const { status, body } = await jsonOf<{ key: string; scope: string[]; _modelType: string }>(
      await api(girder, '/api_key', {
        method: 'POST',
        token: girder.admin.token,
        ...form({ name: ' jobs ', scope: JSON.stringify(['jobs.rest.create_job']), tokenDuration: 2 }),
      }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      _modelType: 'api_key',
      name: 'jobs',
      scope: ['jobs.rest.create_job'],
      tokenDuration: 2,
      active: true,
      userId: girder.admin.user._id,
    });
    const token = await jsonOf<{ authToken: { scope: string[]; expires: string } }>(
      await api(girder, `/api_key/token?key=${body.key}&duration=30`, { method: 'POST' }),
    );
    expect(token.body.authToken.scope).toEqual(['jobs.rest.create_job']);
    expect(Date.parse(token.body.authToken.expires) - Date.now()).toBeLessThanOrEqual(2 * 86_400_000);
  });

  it('refuses unknown or empty scopes and anonymous callers', async () => {
    const post = (scope: string, token?: string) =>
      api(girder, '/api_key', { method: 'POST', token, ...form({ scope }) });
    expect((await jsonOf(await post('["core.nothing"]', girder.admin.token))).body).toEqual({
      message: 'Invalid scopes: core.nothing.',
      type: 'validation',
    });
    expect((await jsonOf(await post('[]', girder.admin.token))).body).toEqual({
      message: 'Custom scope list must not be empty.',
      type: 'validation',
    });
    expect((await post('null')).status).toBe(401);
  });
});

describe('POST /user', () => {
  const register = (fields: Record<string, string | boolean>, token?: string) =>
    api(girder, '/user', { method: 'POST', token, ...form(fields) });
  const dave = {
    login: 'Dave.X',
    email: 'Dave@Example.com',
    firstName: 'Dave',
    lastName: 'X',
    password: 'davepassword',
  };

  it('registers anonymously, logs the new user in, and refuses to make it an admin', async () => {
    const res = await register({ ...dave, admin: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^girderToken=[A-Za-z0-9]{64}; /);
    const body = (await res.json()) as Record<string, unknown> & { authToken: { token: string } };
    expect(body).toMatchObject({
      login: 'dave.x',
      email: 'dave@example.com',
      admin: false,
      emailVerified: false,
      otp: false,
      _accessLevel: 2,
    });
    const me = await jsonOf(await api(girder, '/user/me', { token: body.authToken.token }));
    expect(me.body).toMatchObject({ login: 'dave.x' });
    const folders = await jsonOf<{ name: string }[]>(
      await api(girder, `/folder?parentType=user&parentId=${body._id}`, { token: body.authToken.token }),
    );
    expect(folders.body.map((f) => f.name)).toEqual(['Private', 'Public']);
  });

  it('lets a site admin create an admin, without logging it in', async () => {
    const { body } = await jsonOf(
      await register({ ...dave, login: 'erin', email: 'erin@example.com', admin: true }, girder.admin.token),
    );
    expect(body).toMatchObject({ login: 'erin', admin: true });
    expect(body).not.toHaveProperty('authToken');
  });

  it('validates as Girder does, naming the field', async () => {
    const cases: [Record<string, string>, string, string | undefined][] = [
      [{ ...dave, password: 'short' }, 'Password must be at least 6 characters long.', 'password'],
      [
        { ...dave, login: 'ab' },
        'Login must be at least 4 characters, start with a letter, and may only contain letters, numbers, dashes, and dots.',
        'login',
      ],
      [{ ...dave, login: 'a@bcd' }, 'Login may not contain "@".', 'login'],
      [{ ...dave, login: 'fresh', email: 'nope' }, 'Invalid email address.', 'email'],
      [{ ...dave, firstName: ' ' }, 'First name must not be empty.', 'firstName'],
      [{ ...dave, login: 'admin' }, 'That login is already registered.', 'login'],
      [
        { ...dave, login: 'fresh2', email: 'admin@example.com' },
        'That email is already registered.',
        'email',
      ],
    ];
    for (const [fields, message, field] of cases) {
      const { status, body } = await jsonOf(await register(fields));
      expect(status, message).toBe(400);
      expect(body).toEqual({ message, type: 'validation', field });
    }
    const { lastName: _lastName, ...noLastName } = dave;
    expect((await jsonOf(await register(noLastName))).body).toEqual({
      message: 'Parameter "lastName" is required.',
      type: 'rest',
    });
  });
});

describe('token scopes', () => {
  it('count a token without user_auth as no user on routes that name no scope', async () => {
    const scoped = girder.createToken({ userId: girder.admin.user._id, scope: ['core.data.read'] });
    const me = await jsonOf(await api(girder, '/user/me', { token: scoped }));
    expect(me.body).toBeNull();
    expect((await api(girder, '/user', { token: scoped })).status).toBe(401);
    const folder = await api(girder, `/folder/${girder.admin.privateFolderId}`, { token: scoped });
    expect(folder.status).toBe(200);
    await folder.body?.cancel();
  });
});
