import { createBuildConfig } from '@girder-worker/build-config';
import { builtinsFromRequire } from './build/builtins-from-require.ts';
import { dependencyPatches } from './build/dependency-patches.ts';
import { httpWithoutUndici } from './build/http-without-undici.ts';

/**
 * The `girder-worker` command, built after the library (`pnpm build` runs both; this one does not
 * clean `dist/`). It starts fast: the packages a command uses are bundled into it (one file to
 * compile, no module resolution at start), each command's dynamic imports become chunks of their
 * own (`dist/cli-chunks/`), so `--help` loads no Docker and `run` no BullMQ; BullMQ, ioredis,
 * amqplib, prom-client, the dashboard's server and log-update stay external (only the commands
 * that need them, or a terminal, load them).
 */
const config: ReturnType<typeof createBuildConfig> = createBuildConfig({
  entry: ['src/cli.ts'],
  tsconfig: 'tsconfig.build.json',
  dts: false,
  clean: false,
  splitting: true,
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
  esbuildPlugins: [httpWithoutUndici(), builtinsFromRequire(), dependencyPatches()],
  esbuildOptions(options) {
    options.chunkNames = 'cli-chunks/[name]-[hash]';
  },
});
export default config;
