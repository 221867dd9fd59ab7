import { defineConfig, type Options } from 'tsup';

/**
 * The shared build: ESM only, declarations, Node 22 syntax, nothing bundled but the package's own
 * source (dependencies stay external so consumers deduplicate them).
 */
export function createBuildConfig(overrides: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
