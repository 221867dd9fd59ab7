import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Built-ins whose load is costly and which a run uses only on some paths (TLS: an `https:` upload
 * URL, a Girder over TLS): the functions the bundle imports from them, each of which loads the
 * module on its first call. Importing any other name of these modules fails the build.
 */
const LAZY: Readonly<Record<string, readonly string[]>> = {
  https: ['request'],
  tls: ['connect'],
};

/** Built-ins served by another plugin (`http-without-undici`), or that must stay ES imports. */
const LEFT_ALONE: ReadonlySet<string> = new Set(['http', 'module']);

/** The bare name of a built-in specifier (`node:fs/promises` → `fs/promises`), or undefined. */
function builtinName(specifier: string): string | undefined {
  const name = specifier.startsWith('node:') ? specifier.slice('node:'.length) : specifier;
  return builtins.has(name) ? name : undefined;
}

const builtins: ReadonlySet<string> = new Set(
  (await import('node:module')).builtinModules.filter((name) => !name.startsWith('_')),
);

/** The source of the module that stands for built-in `name`. */
function standIn(name: string): string {
  const lazy = LAZY[name];
  if (!lazy) {
    // CommonJS: esbuild reads each imported name off the module object where it is used, so no
    // export is read (no getter runs) at load.
    return `module.exports = require(${JSON.stringify(`node:${name}`)});`;
  }
  return [
    'let loaded;',
    `const load = () => (loaded ??= require(${JSON.stringify(`node:${name}`)}));`,
    ...lazy.map((fn) => `export function ${fn}(...args) { return load().${fn}(...args); }`),
  ].join('\n');
}

/**
 * An esbuild plugin for the bundled CLI: an ES-module `import … from 'node:x'` makes Node build the
 * built-in's whole namespace at start, which runs every getter of its exports (`node:crypto`'s
 * `webcrypto` and `subtle` load Web Crypto: about 13 ms; `node:os` about 10 ms), where
 * `require('node:x')` runs none. The plugin serves those imports from `require`, and makes `https`
 * and `tls` (about 30 ms to load, needed only for a TLS connection) load on first use. Type-only
 * imports are gone before it runs; `node:http` is left to `http-without-undici`.
 * @returns the esbuild plugin
 */
export function builtinsFromRequire(): Plugin {
  return {
    name: 'builtins-from-require',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        const name = builtinName(args.path);
        if (name === undefined || LEFT_ALONE.has(name) || args.kind !== 'import-statement') return undefined;
        return { path: name, namespace: 'builtin-from-require' };
      });
      build.onLoad({ filter: /.*/, namespace: 'builtin-from-require' }, (args) => ({
        contents: standIn(args.path),
        loader: 'js',
        resolveDir: process.cwd(),
      }));
    },
  };
}
