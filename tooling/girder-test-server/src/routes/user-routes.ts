import { json, type Router } from '../http.ts';
import { girderDate } from '../models.ts';
import { userOut } from '../output.ts';
import { accessError, restError, validationError } from '../rest-error.ts';

/** Internal: /user/authentication, /user/me, /user/{id}, /api_key/token (girder/api/v1/user.py, api_key.py). */
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
    scopes: ['core.data.read'],
    handler: (ctx) => {
      const record = ctx.state.load('user', ctx.path.id as string);
      if (ctx.state.userLevel(record, ctx.user) < 0) {
        throw accessError(`Read access denied for user ${record.doc._id} (user ${ctx.user?._id ?? 'None'}).`);
      }
      return json(userOut(ctx.state, record, ctx.user));
    },
  });

  router.add({
    method: 'POST',
    segments: ['api_key', 'token'],
    access: 'public',
    scopes: [],
    handler: (ctx) => {
      const key = ctx.params.string('key', { required: true, strip: true });
      const duration = ctx.params.number('duration');
      const apiKey = ctx.state.apiKeys.get(key);
      if (apiKey === undefined) throw validationError('Invalid API key.');
      const cap = 180;
      const days = Math.min(duration ?? cap, cap);
      const token = ctx.state.createToken(apiKey.userId, apiKey.scope ?? undefined, days);
      return json({
        user: { _id: apiKey.userId },
        authToken: { token: token.token, expires: girderDate(token.expires), scope: token.scope },
      });
    },
  });
}
