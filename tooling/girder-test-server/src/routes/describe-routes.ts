import { json, type Route, type Router } from '../http.ts';
import { GIRDER_RELEASE } from './system-routes.ts';

/** A Swagger 2.0 operation, as few fields as clients read. */
interface Operation {
  tags: string[];
  summary: string;
  operationId: string;
  parameters: { name: string; in: 'path'; required: true; type: 'string' }[];
  responses: Record<string, { description: string }>;
  security?: Record<string, never[]>[];
}

function operation(route: Route): Operation {
  const [resource = ''] = route.segments;
  const params = route.segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1));
  const words = route.segments.slice(1).map((s) => (s.startsWith(':') ? `by_${s.slice(1)}` : s));
  return {
    tags: [resource],
    summary: `${route.method} /${route.segments.map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s)).join('/')}`,
    operationId: [resource, route.method.toLowerCase(), ...words].join('_'),
    parameters: params.map((name) => ({ name, in: 'path', required: true, type: 'string' })),
    responses: { '200': { description: 'Success' } },
  };
}

/**
 * Internal: GET /describe (girder/api/describe.py `Describe.listResources`): a minimal Swagger 2.0
 * document listing every route this server has, with Girder's top-level fields.
 */
export function addDescribeRoutes(router: Router): void {
  router.add({
    method: 'GET',
    segments: ['describe'],
    access: 'public',
    scopes: [],
    handler: (ctx) => {
      const paths: Record<string, Record<string, Operation>> = {};
      const tags = new Set<string>();
      for (const route of router.list()) {
        const path = `/${route.segments.map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s)).join('/')}`;
        paths[path] ??= {};
        (paths[path] as Record<string, Operation>)[route.method.toLowerCase()] = operation(route);
        tags.add(route.segments[0] as string);
      }
      const auth = paths['/user/authentication']?.get;
      if (auth) auth.security = [{ basicAuth: [] }];
      const api = new URL(ctx.state.apiUrl);
      return json({
        swagger: '2.0',
        info: { title: 'Girder REST API', version: GIRDER_RELEASE },
        host: api.host,
        basePath: api.pathname,
        tags: [...tags].sort().map((name) => ({ name, description: `${name} resource` })),
        paths,
        definitions: {},
        securityDefinitions: {
          'Girder-Token': { type: 'apiKey', in: 'header', name: 'Girder-Token' },
          basicAuth: { type: 'basic' },
        },
        security: [{ 'Girder-Token': [] }],
      });
    },
  });
}
