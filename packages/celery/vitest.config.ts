import { createTestConfig } from '@girder-worker/vitest-config';
import type { ViteUserConfig } from 'vitest/config';

const config: ViteUserConfig = createTestConfig();
export default config;
