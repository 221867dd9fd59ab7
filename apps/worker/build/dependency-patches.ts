import { readFile } from 'node:fs/promises';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * A change to a dependency's source as the CLI bundles it: most leave a `require` out of the bundle
 * and resolve it from the installed dependency when it first runs.
 */
interface Patch {
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
 * What the CLI does not need at start: dockerode's BuildKit session (gRPC and protobufjs: about
 * half of dockerode's load time; used only by `buildImage`) and its BuildKit progress reader
 * (protobufjs and a .proto file beside it), docker-modem's SSH transport (ssh2, with optional
 * native parts; used only for `ssh://` Docker hosts) — the session and the transport export a
 * function, assigned at the top of their file: a function that loads them on its first call takes
 * their place —, docker-modem's full formatting of every request for a debug line that is off, and
 * ky's feature probes, which at import time touch `Request` and `FormData` and so make Node load
 * undici (about 60 ms of CPU): on every Node this package supports (>= 22) both answer true.
 * Also bundled but run only on first use: dockerode's build-context helpers (.dockerignore rules,
 * tar-fs and zlib, for `buildImage`), docker-modem's duplex for a hijacked attach (readable-stream),
 * its `https` (TLS, for an `https://` Docker host only) and its `debug` logger (only when DEBUG is
 * set, which is when `debug` would log); and no TLS server name is worked out for the Docker socket.
 */
const PATCHES: readonly Patch[] = [
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
  {
    // The rest are bundled still, but evaluated on first use only (a `require` inside a function).
    // dockerode's build-context helpers: `.dockerignore` rules, tar packing and gzip, for buildImage.
    file: /[\\/]dockerode[\\/]lib[\\/]util\.js$/,
    text: "var DockerIgnore = require('@balena/dockerignore');",
    replacement:
      "var DockerIgnore = function () { return require('@balena/dockerignore').apply(this, arguments); };",
    installed: [],
  },
  {
    file: /[\\/]dockerode[\\/]lib[\\/]util\.js$/,
    text: "var tar = require('tar-fs');",
    replacement:
      "var tar = { pack: function () { var t = require('tar-fs'); return t.pack.apply(t, arguments); } };",
    installed: [],
  },
  {
    file: /[\\/]dockerode[\\/]lib[\\/]util\.js$/,
    text: "var zlib = require('zlib');",
    replacement:
      "var zlib = { createGzip: function () { return require('zlib').createGzip.apply(null, arguments); } };",
    installed: [],
  },
  {
    // The duplex of a hijacked (stdin) attach, on readable-stream: `run` attaches without stdin.
    file: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/,
    text: "HttpDuplex = require('./http_duplex'),",
    replacement:
      "HttpDuplex = function (req, res) { var H = require('./http_duplex'); return new H(req, res); },",
    installed: [],
  },
  {
    // `debug` reads DEBUG when it loads: without it the logger is never on.
    file: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/,
    text: "debug = require('debug')('modem'),",
    replacement:
      "debug = process.env.DEBUG ? require('debug')('modem') : Object.assign(function () {}, { enabled: false }),",
    installed: [],
  },
  {
    // A Unix socket has no TLS server name, but Node's agent works one out for every request (and
    // on the first one compiles its IPv6 regular expression: several ms before the first request).
    file: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/,
    text: '      optionsf.socketPath = socketPath;',
    replacement: "      optionsf.socketPath = socketPath;\n      optionsf.servername = '';",
    installed: [],
  },
  {
    // Its redirect-following wrapper takes the module as a prototype and calls only `request`.
    file: /[\\/]docker-modem[\\/]lib[\\/]http\.js$/,
    text: "nativeHttps = require('https'),",
    replacement:
      "nativeHttps = { request: function () { var https = require('https'); return https.request.apply(https, arguments); } },",
    installed: [],
  },
  {
    file: /[\\/]ky[\\/]distribution[\\/]core[\\/]constants\.js$/,
    text: 'export const supportsRequestStreams = (() => {',
    replacement: 'export const supportsRequestStreams = true;\nconst probeRequestStreams = () => (() => {',
    installed: [],
  },
  {
    file: /[\\/]ky[\\/]distribution[\\/]core[\\/]constants\.js$/,
    text: "export const supportsFormData = typeof globalThis.FormData === 'function';",
    replacement: 'export const supportsFormData = true;',
    installed: [],
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
 * An esbuild plugin that applies {@link PATCHES} to the dependencies' source as it is bundled. It
 * fails the build when a dependency update moved a patched line, so no patch can silently stop
 * working.
 * @returns the esbuild plugin
 */
export function dependencyPatches(): Plugin {
  return {
    name: 'dependency-patches',
    setup(build) {
      // One onLoad per file (esbuild takes the first that answers), doing every replacement in it.
      const files = new Map(PATCHES.map((patch) => [patch.file.source, patch.file]));
      for (const [source, file] of files) {
        build.onLoad({ filter: file }, async (args) => {
          let code = await readFile(args.path, 'utf8');
          for (const { text, replacement, installed } of PATCHES.filter(
            (patch) => patch.file.source === source,
          )) {
            if (!code.includes(text))
              throw new Error(
                `dependency-patches: "${text}" not found in ${args.path}; update build/dependency-patches.ts`,
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
