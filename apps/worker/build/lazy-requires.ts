import { readFile } from 'node:fs/promises';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * A `require` in a dependency that the bundled CLI leaves out of the bundle and resolves from the
 * installed dependency when it first runs.
 */
interface LazyRequire {
  /** The file that requires it. */
  file: RegExp;
  /** The exact text to replace, e.g. `ssh = require('./ssh')`. */
  text: string;
  /** What replaces it; `LOAD` stands for the require of the installed module. */
  replacement: string;
  /**
   * The module, reached from girder-worker's own dependencies: a chain of packages, then the file
   * (empty for a replacement that loads nothing).
   */
  installed: readonly string[];
}

/**
 * Requires that the CLI does not need at start: dockerode's BuildKit session (gRPC and protobufjs:
 * about half of dockerode's load time; used only by `buildImage`) and its BuildKit progress reader
 * (protobufjs and a .proto file beside it), and docker-modem's SSH transport (ssh2, with optional
 * native parts; used only for `ssh://` Docker hosts). The first two export a function, assigned
 * at the top of their file: a function that loads them on its first call takes their place.
 */
const LAZY: readonly LazyRequire[] = [
  {
    file: /[\\/]dockerode[\\/]lib[\\/]docker\.js$/,
    text: "withSession = require('./session')",
    replacement: 'withSession = function () { return LOAD.apply(this, arguments); }',
    installed: ['dockerode/lib/session.js'],
  },
  {
    file: /[\\/]dockerode[\\/]lib[\\/]docker\.js$/,
    text: "require('./buildkit')",
    replacement: 'LOAD',
    installed: ['dockerode/lib/buildkit.js'],
  },
  {
    // Not a require: docker-modem formats every request in full (`util.inspect`, all depths,
    // hidden fields) for a debug line that is almost never on; it is now formatted only when on.
    file: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/,
    text: "debug('Sending: %s', util.inspect(",
    replacement: "if (debug.enabled) debug('Sending: %s', util.inspect(",
    installed: [],
  },
  {
    file: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/,
    text: "ssh = require('./ssh')",
    replacement: 'ssh = function () { return LOAD.apply(this, arguments); }',
    installed: ['dockerode', 'docker-modem/lib/ssh.js'],
  },
];

/**
 * The require of an installed module: each step resolves from the package before it (pnpm installs
 * strictly), through variables, so that esbuild leaves it to run time.
 */
function loadInstalled(steps: readonly string[]): string {
  return `(function (steps, load) {
    for (var i = 0; i < steps.length - 1; i++) load = load('module').createRequire(load.resolve(steps[i]));
    return load(steps[steps.length - 1]);
  })(${JSON.stringify(steps)}, require)`;
}

/**
 * An esbuild plugin that turns each `variable = require('module')` of {@link LAZY} into a function
 * that requires the installed module on its first call (so it is not bundled either). It fails the build when a dependency update moved the
 * line, so the deferral cannot silently stop working.
 * @returns the esbuild plugin
 */
export function lazyRequires(): Plugin {
  return {
    name: 'lazy-requires',
    setup(build) {
      // One onLoad per file (esbuild takes the first that answers), doing every replacement in it.
      const files = new Map(LAZY.map((lazy) => [lazy.file.source, lazy.file]));
      for (const [source, file] of files) {
        build.onLoad({ filter: file }, async (args) => {
          let code = await readFile(args.path, 'utf8');
          for (const { text, replacement, installed } of LAZY.filter((lazy) => lazy.file.source === source)) {
            if (!code.includes(text))
              throw new Error(
                `lazy-requires: "${text}" not found in ${args.path}; update build/lazy-requires.ts`,
              );
            code = code.replace(
              text,
              installed.length > 0 ? replacement.replace('LOAD', loadInstalled(installed)) : replacement,
            );
          }
          return { contents: code, loader: 'js' };
        });
      }
    },
  };
}
