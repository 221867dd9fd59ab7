import { fileURLToPath } from 'node:url';
import { createTestConfig } from '@girder-worker/vitest-config';
import type { ViteUserConfig } from 'vitest/config';

const config: ViteUserConfig = createTestConfig({
  globalSetup: [
    fileURLToPath(new URL('../../tooling/vitest-config/global-setup.ts', import.meta.url)),
    fileURLToPath(new URL('./test/global-setup.ts', import.meta.url)),
  ],
});
export default config;
