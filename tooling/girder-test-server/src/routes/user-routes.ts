import { json, type Router } from '../http.ts';
import { AccessType, girderDate } from '../models.ts';
import { userOut } from '../output.ts';
import { pageOf } from '../params.ts';
import { accessError, restError, validationError } from '../rest-error.ts';
import type { State } from '../state.ts';
import { textMatches } from '../text-search.ts';

/** girder/utility/mail_utils.py `validateEmailAddress` (the HTML Standard's grammar). */
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** girder/models/user.py `setPassword` + `validate`, in Girder's order, with its messages and fields. */
function validateNewUser(
  state: State,
  o: { login: string; email: string; firstName: string; lastName: string; password: string },
): void {
  if (!/^.{6}.*$/s.test(o.password))
    throw validationError('Password must be at least 6 characters long.', 'password');
  if (!o.firstName) throw validationError('First name must not be empty.', 'firstName');
  if (!o.lastName) throw validationError('Last name must not be empty.', 'lastName');
  if (o.login.includes('@')) throw validationError('Login may not contain "@".', 'login');
  if (!/^[a-z][\da-z\-.]{3,}$/.test(o.login)) {
    throw validationError(
      'Login must be at least 4 characters, start with a letter, and may only contain letters, numbers, dashes, and dots.',
      'login',
    );
  }
  if (!EMAIL.test(o.email)) throw validationError('Invalid email address.', 'email');
  for (const user of state.users.values()) {
    if (user.doc.login === o.login) throw validationError('That login is already registered.', 'login');
  }
  for (const user of state.users.values()) {
    if (user.doc.email === o.email) throw validationError('That email is already registered.', 'email');
  }
}

/** Internal: /user routes (girder/api/v1/user.py). */
export function addUserRoutes(router: Router): void {
  router.add({
    method: 'GET',
    segments: ['user', 'authentication'],
    access: 'public',
    scopes: [],
    handler: (ctx) => {
      const { state } = ctx;
      let user = ctx.user;
      let token = user === undefined ? undefined : ctx.token;
      if (user === undefined) {
        const header =
          ctx.req.headers.authorization ?? (ctx.req.headers['girder-authorization'] as string | undefined);
        if (header === undefined || !header.startsWith('Basic '))
          throw restError('Use HTTP Basic Authentication', 401);
        const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) throw restError('Invalid HTTP Authorization header', 401);
        const login = decoded.slice(0, colon).trim().toLowerCase();
        const password = decoded.slice(colon + 1);
        const record = [...state.users.values()].find(
          (u) => u.doc.login === login || u.doc.email.toLowerCase() === login,
        );
        if (record === undefined || record.password !== password) throw accessError('Login failed.');
        user = record.doc;
        token = state.createToken(user._id);
      }
      const record = state.load('user', user._id);
      return json({
        user: userOut(state, record, user),
        authToken: { token: token?.token, expires: girderDate(token?.expires), scope: token?.scope },
        message: 'Login succeeded.',
      });
    },
  });

  router.add({
    method: 'GET',
    segments: ['user'],
    access: 'user',
    scopes: [],
    handler: (ctx) => {
      const { state, params } = ctx;
      const text = params.string('text');
      const paging = params.paging('lastName');
      const found = [...state.users.values()]
        .filter((u) => state.userLevel(u, ctx.user) >= AccessType.READ)
        .filter((u) => !text || textMatches([u.doc.login, u.doc.firstName, u.doc.lastName], text));
      // Girder returns a plain list here (no cursor), so no Girder-Total-Count header.
      return json(
        pageOf(
          found.map((u) => u.doc),
          paging,
        ).page.map((doc) => userOut(state, state.load('user', doc._id), ctx.user)),
      );
    },
  });

  router.add({
    method: 'POST',
    segments: ['user'],
    access: 'public',
    scopes: [],
    handler: (ctx) => {
      // Registration is open (Girder's default policy); only a site admin may create an admin.
      const { state, params } = ctx;
      const fields = {
        login: params.string('login', { required: true }).trim().toLowerCase(),
        email: params.string('email', { required: true }).trim().toLowerCase(),
        firstName: params.string('firstName', { required: true }).trim(),
        lastName: params.string('lastName', { required: true }).trim(),
        password: params.string('password', { required: true }),
      };
      const admin = ctx.user?.admin === true && params.bool('admin', false);
      validateNewUser(state, fields);
      const record = state.createUser({ ...fields, admin });
      record.doc.emailVerified = false;
      const out: Record<string, unknown> = userOut(state, record, ctx.user ?? record.doc);
      if (ctx.user !== undefined) return json(out);
      // An anonymous registration logs the new user in (a token, also as the girderToken cookie).
      const token = state.createToken(record.doc._id);
      out.authToken = { token: token.token, expires: girderDate(token.expires) };
      return json(out, {
        'Set-Cookie': `girderToken=${token.token}; expires=${token.expires.toUTCString()}; HttpOnly; Max-Age=${180 * 86_400}; Path=/`,
      });
    },
  });

  router.add({
    method: 'GET',
    segments: ['user', 'me'],
    access: 'public',
    scopes: [],
    handler: (ctx) => {
      if (ctx.user === undefined) return json(null);
      return json(userOut(ctx.state, ctx.state.load('user', ctx.user._id), ctx.user));
    },
  });

  router.add({
    method: 'GET',
    segments: ['user', ':id'],
    access: 'public',
    scopes: ['core.user_info.read'],
    handler: (ctx) => {
      const record = ctx.state.load('user', ctx.path.id as string);
      if (ctx.state.userLevel(record, ctx.user) < 0) {
        throw accessError(`Read access denied for user ${record.doc._id} (user ${ctx.user?._id ?? 'None'}).`);
      }
      return json(userOut(ctx.state, record, ctx.user));
    },
  });
}
