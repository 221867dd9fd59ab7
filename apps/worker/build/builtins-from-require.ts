import { builtinModules } from 'node:module';
import type { Options } from 'tsup';
import { cryptoStandIn } from './crypto-random.ts';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Built-ins whose load is costly and which a run uses only on some paths (TLS: an `https:` upload
 * URL, a Girder over TLS; child processes: a named pipe, a credential helper, a commander
 * subcommand file): the functions the bundle imports from them, each of which loads the module on
 * its first call, and a default export that loads it on its first property read. Importing any
 * other name of these modules fails the build.
 */
const LAZY: Readonly<Record<string, readonly string[]>> = {
  https: ['request'],
  tls: ['connect'],
  child_process: ['execFile', 'spawn'],
};

/**
 * Built-ins some of whose exports load more of Node when only their property descriptor is read
 * (`util`'s `parseArgs`, `diff` and `setTraceSigInt`: 42 more modules, worker_threads among them;
 * `fs`'s `Dir`, `buffer`'s `File`). esbuild's interop copies every export of a CommonJS module by
 * reading its descriptor, so these are served as an object whose prototype is the module: it has
 * no own export to copy, and each name is read through the prototype where it is used.
 */
const DESCRIPTOR_LAZY: ReadonlySet<string> = new Set(['util', 'fs', 'buffer']);

/** Built-ins served by another plugin (`http-without-undici`), or that must stay ES imports. */
const LEFT_ALONE: ReadonlySet<string> = new Set(['http', 'module']);

/** Node's built-in modules, by bare name. */
const builtins: ReadonlySet<string> = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/** The bare name of a built-in specifier (`node:fs/promises` → `fs/promises`), or undefined. */
function builtinName(specifier: string): string | undefined {
  const name = specifier.startsWith('node:') ? specifier.slice('node:'.length) : specifier;
  return builtins.has(name) ? name : undefined;
}

/** The source of the module that stands for built-in `name`. */
function standIn(name: string): string {
  const lazy = LAZY[name];
  const specifier = JSON.stringify(`node:${name}`);
  if (name === 'crypto') return cryptoStandIn;
  if (DESCRIPTOR_LAZY.has(name)) return `module.exports = Object.create(require(${specifier}));`;
  if (!lazy) {
    // CommonJS: esbuild reads each imported name off the module object where it is used, so no
    // export is read (no getter runs) at load.
    return `module.exports = require(${specifier});`;
  }
  return [
    'let loaded;',
    `const load = () => (loaded ??= require(${specifier}));`,
    ...lazy.map((fn) => `export function ${fn}(...args) { return load().${fn}(...args); }`),
    'export default new Proxy({}, { get: (_, key) => load()[key] });',
  ].join('\n');
}

/**
 * An esbuild plugin for the bundled CLI: an ES-module `import … from 'node:x'` makes Node build the
 * built-in's whole namespace at start, which runs every getter of its exports (`node:crypto`'s
 * `webcrypto` and `subtle` load Web Crypto: about 13 ms; `node:os` about 10 ms), where
 * `require('node:x')` runs none. The plugin serves those imports from `require` (`node:crypto`'s
random bytes from the kernel's random device: `crypto-random.ts`), and makes `https`
 * and `tls` (about 30 ms to load, needed only for a TLS connection) and `child_process` load on
 * first use. Type-only
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
