import { createBuildConfig } from '@girder-worker/build-config';

/** The library entry: dependencies stay external so consumers deduplicate them. */
const config: ReturnType<typeof createBuildConfig> = createBuildConfig({
  entry: ['src/index.ts'],
  tsconfig: 'tsconfig.build.json',
});
export default config;
