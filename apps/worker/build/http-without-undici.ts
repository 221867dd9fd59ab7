import { createRequire } from 'node:module';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/** `node:http` exports that are getters loading undici (Node's fetch/WebSocket implementation). */
const UNDICI_GETTERS: ReadonlySet<string> = new Set(['WebSocket', 'CloseEvent', 'MessageEvent']);

/**
 * An esbuild plugin for the bundled CLI: an ES-module `import … from 'node:http'` makes Node build
 * the module's whole namespace, which runs the getters of `WebSocket`, `CloseEvent` and
 * `MessageEvent` and so loads undici (about 60 ms of CPU at every start, for a CLI that talks HTTP
 * to the Docker socket and never uses fetch for it). The plugin serves such imports from
 * `require('node:http')` instead, exporting every name but those three; an import of one of them
 * fails the build.
 * @returns the esbuild plugin
 */
export function httpWithoutUndici(): Plugin {
  const names = Object.keys(createRequire(import.meta.url)('node:http') as object).filter(
    (name) => !UNDICI_GETTERS.has(name),
  );
  return {
    name: 'http-without-undici',
    setup(build) {
      build.onResolve({ filter: /^(node:)?http$/ }, (args) =>
        args.kind === 'import-statement' ? { path: 'http', namespace: 'http-without-undici' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'http-without-undici' }, () => ({
        contents: [
          "const http = require('node:http');",
          'export default http;',
          ...names.map((name) => `export const ${name} = http.${name};`),
        ].join('\n'),
        loader: 'js',
        resolveDir: process.cwd(),
      }));
    },
  };
}
