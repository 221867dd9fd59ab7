import { createBuildConfig } from '@girder-worker/build-config';

const config: ReturnType<typeof createBuildConfig> = createBuildConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  tsconfig: 'tsconfig.build.json',
  // Code splitting: each command's dynamic imports become their own chunks, so the CLI loads only
  // what the command it runs needs (no BullMQ for `run`, no Docker for `--help`).
  splitting: true,
});
export default config;
