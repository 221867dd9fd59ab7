import { json, type Router } from '../http.ts';
import { girderDate } from '../models.ts';
import { validationError } from '../rest-error.ts';

/** Scopes Girder registers (girder/constants.py `TokenScope`, plus the jobs plugin's). */
const USER_SCOPES = [
  'core.user_auth',
  'core.data.read',
  'core.data.write',
  'core.data.own',
  'core.user_info.read',
  'jobs.rest.create_job',
  'jobs.rest.list_job',
];
const ADMIN_SCOPES = [
  'core.plugins.read',
  'core.setting.read',
  'core.assetstore.read',
  'core.partial_upload.read',
  'core.partial_upload.clean',
];

/** Internal: POST /api_key and POST /api_key/token (girder/api/v1/api_key.py). */
export function addApiKeyRoutes(router: Router): void {
  router.add({
    method: 'POST',
    segments: ['api_key'],
    access: 'user',
    scopes: [],
    handler: (ctx) => {
      const { state, params } = ctx;
      const user = ctx.user as NonNullable<typeof ctx.user>;
      const name = params.string('name', { strip: true }) ?? '';
      const scope = params.json('scope');
      const duration = params.number('tokenDuration');
      const active = params.bool('active', true);
      if (scope !== undefined && scope !== null) {
        if (!Array.isArray(scope)) throw validationError('Scope must be a list, or None.');
        if (scope.length === 0) throw validationError('Custom scope list must not be empty.');
        const allowed = user.admin ? [...USER_SCOPES, ...ADMIN_SCOPES] : USER_SCOPES;
        const unknown = scope.filter((s) => !allowed.includes(s as string));
        if (unknown.length > 0) throw validationError(`Invalid scopes: ${unknown.join(',')}.`);
      }
      const key = state.createApiKey(user._id, (scope as string[] | null | undefined) ?? null, {
        name,
        tokenDuration: duration ? duration : null,
        active,
      });
      return json({ ...(state.apiKeys.get(key) as object), _accessLevel: 2 });
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
      if (apiKey === undefined || !apiKey.active) throw validationError('Invalid API key.');
      const cap = apiKey.tokenDuration || 180;
      const days = Math.min(duration || cap, cap);
      apiKey.lastUse = girderDate();
      const token = ctx.state.createToken(apiKey.userId, apiKey.scope ?? undefined, days);
      return json({
        user: { _id: apiKey.userId },
        authToken: { token: token.token, expires: girderDate(token.expires), scope: token.scope },
      });
    },
  });
}
