import { createBuildConfig } from '@girder-worker/build-config';
import type { Options } from 'tsup';
import { builtinsFromRequire } from './build/builtins-from-require.ts';
import { dependencyPatches } from './build/dependency-patches.ts';
import { httpWithoutUndici } from './build/http-without-undici.ts';
import { RUN_ENTRY_FILE, runEntryAsOwnFile } from './build/run-entry.ts';

/** What both CLI builds share: what is bundled, what stays external, the plugins. */
const shared: Options = {
  tsconfig: 'tsconfig.build.json',
  dts: false,
  clean: false,
  noExternal: [/^(?!bullmq$|ioredis$|log-update$|amqplib$|prom-client$|hono$|@hono\/|@bull-board\/)/],
  // Loaded only by the commands that need them (queues, Celery, metrics, the dashboard, a terminal).
  external: [
    'bullmq',
    'ioredis',
    'log-update',
    'amqplib',
    'prom-client',
    'hono',
    /^@hono\//,
    /^@bull-board\//,
  ],
  // Bundled CommonJS (dockerode and its helpers) calls require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __gwCreateRequire } from 'node:module';\nconst require = __gwCreateRequire(import.meta.url);",
  },
  // `node:` imports go to the plugins below (tsup would otherwise take them first, as external).
  removeNodeProtocol: false,
};

/**
 * The `girder-worker` command, built after the library (`pnpm build` runs both; this one does not
 * clean `dist/`). It starts fast: the packages a command uses are bundled into it (one file to
 * compile, no module resolution at start), each command's dynamic imports become chunks of their
 * own (`dist/cli-chunks/`), so `--help` loads no Docker and `run` no BullMQ; BullMQ, ioredis,
 * amqplib, prom-client, the dashboard's server and log-update stay external (only the commands
 * that need them, or a terminal, load them). `run`, the command whose start is measured against
 * `docker run`, is a second build: one CommonJS file (`dist/cli-run.cjs`, no chunks) that `cli.js`
 * loads with a code cache of its own (`src/run-loader.ts`).
 */
const config: Options[] = [
  createBuildConfig({
    ...shared,
    entry: ['src/cli.ts'],
    splitting: true,
    esbuildPlugins: [runEntryAsOwnFile(), httpWithoutUndici(), builtinsFromRequire(), dependencyPatches()],
    esbuildOptions(options) {
      options.chunkNames = 'cli-chunks/[name]-[hash]';
    },
  }) as Options,
  createBuildConfig({
    ...shared,
    entry: { [RUN_ENTRY_FILE]: 'src/run-main.ts' },
    // CommonJS, for `run-loader.ts` to compile with a code cache of its own (`node:vm` compiles
    // scripts, not modules); it has `require` of its own, so no banner.
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    banner: {},
    // Unsplit: the command's dynamic imports are bundled into the one file.
    splitting: false,
    esbuildPlugins: [httpWithoutUndici(), builtinsFromRequire(), dependencyPatches()],
  }) as Options,
];
export default config;
