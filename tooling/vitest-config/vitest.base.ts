import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Maps every workspace package name to its `src/index.ts`, so that a package's tests run against
 * its siblings' sources without a build (`pnpm --filter <name> test` works alone). What ships is
 * checked separately by the packed-tarball consumer check.
 */
function workspaceAliases(): { find: RegExp; replacement: string }[] {
  const aliases: { find: RegExp; replacement: string }[] = [];
  for (const group of ['packages', 'apps', 'tooling']) {
    const groupDir = join(repoRoot, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir)) {
      const manifest = join(groupDir, entry, 'package.json');
      const source = join(groupDir, entry, 'src/index.ts');
      if (!existsSync(manifest) || !existsSync(source)) continue;
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
      aliases.push({
        find: new RegExp(`^${name.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&')}$`),
        replacement: source,
      });
    }
  }
  return aliases;
}

/**
 * The shared test configuration. Tests talk to real things (Docker, FIFOs, HTTP on loopback), so
 * timeouts are generous and files run one at a time unless a package opts in. Every test run gets
 * its own TMPDIR (see global-setup.ts), so leak checks see only what this run created.
 */
export function createTestConfig(overrides: NonNullable<ViteUserConfig['test']> = {}): ViteUserConfig {
  return defineConfig({
    resolve: { alias: workspaceAliases() },
    test: {
      include: ['test/**/*.test.ts'],
      // Generous: a hang should fail, slowness on a shared, loaded machine should not.
      testTimeout: 180_000,
      hookTimeout: 120_000,
      fileParallelism: false,
      pool: 'forks',
      retry: 0,
      globalSetup: [join(repoRoot, 'tooling/vitest-config/global-setup.ts')],
      ...overrides,
    },
  });
}
