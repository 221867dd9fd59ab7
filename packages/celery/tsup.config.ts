import { createBuildConfig } from '@girder-worker/build-config';

const config: ReturnType<typeof createBuildConfig> = createBuildConfig({
  entry: ['src/index.ts'],
  tsconfig: 'tsconfig.build.json',
});
export default config;
