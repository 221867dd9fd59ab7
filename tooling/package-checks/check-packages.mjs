#!/usr/bin/env node
// Checks every publishable package the way a user meets it: packed as a tarball.
//  1. publint and attw (esm-only profile: we ship ESM only) on the tarball;
//  2. dependency closures: a package pulls in only what DESIGN.md allows (pipes: no docker, no Girder;
//     girder-client: ky only);
//  3. consumer check: every tarball installed with plain npm into a fresh project outside the
//     workspace; each package's test/smoke.mjs imports it by name and uses an export.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
/** This package: publint and attw are its devDependencies, run from here. */
const here = import.meta.dirname;
const started = Date.now();
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

/** Runtime dependencies each package may have beyond its workspace siblings (DESIGN.md). */
const allowedExternal = {
  '@girder-worker/transforms': [],
  '@girder-worker/pipes': [],
  '@girder-worker/girder-client': ['ky'],
  '@girder-worker/girder': ['ky'],
  '@girder-worker/celery': ['ky', 'dockerode', '@types/dockerode', 'ioredis', 'amqplib'],
  '@girder-worker/docker': ['dockerode', '@types/dockerode'],
  'girder-worker': [
    'ky',
    'dockerode',
    '@types/dockerode',
    'bullmq',
    'ioredis',
    'commander',
    'log-update',
    '@bull-board/api',
    '@bull-board/ui',
    '@bull-board/hono',
    'hono',
    '@hono/node-server',
    'prom-client',
    'amqplib',
    '@types/amqplib',
  ],
};

const packages = [];
for (const group of ['packages', 'apps']) {
  for (const entry of readdirSync(join(root, group))) {
    const dir = join(root, group, entry);
    const manifestPath = join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (!manifest.private) packages.push({ dir, manifest });
  }
}

const failures = [];
const work = mkdtempSync(join(tmpdir(), 'gw-package-checks-'));
try {
  const tarballs = new Map();
  for (const { dir, manifest } of packages) {
    if (!existsSync(join(dir, 'dist')))
      throw new Error(`${manifest.name} is not built: run pnpm build first`);
    const out = run('pnpm', ['pack', '--pack-destination', work], { cwd: dir }).trim().split('\n').pop();
    tarballs.set(manifest.name, out.startsWith('/') ? out : join(work, out));
  }

  for (const { manifest } of packages) {
    const tarball = tarballs.get(manifest.name);
    try {
      run('pnpm', ['exec', 'publint', 'run', tarball, '--strict'], { cwd: here });
    } catch (error) {
      failures.push(`publint ${manifest.name}:\n${error.stdout}${error.stderr}`);
    }
    try {
      run('pnpm', ['exec', 'attw', tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color'], {
        cwd: here,
      });
    } catch (error) {
      failures.push(`attw ${manifest.name}:\n${error.stdout}${error.stderr}`);
    }
  }

  // Dependency closures, from the manifests as packed (workspace: ranges already rewritten).
  const byName = new Map(packages.map((p) => [p.manifest.name, p.manifest]));
  for (const { manifest } of packages) {
    const seen = new Set();
    const queue = [manifest.name];
    const external = new Set();
    while (queue.length > 0) {
      const name = queue.pop();
      if (seen.has(name)) continue;
      seen.add(name);
      for (const dep of Object.keys(byName.get(name)?.dependencies ?? {})) {
        if (byName.has(dep)) queue.push(dep);
        else external.add(dep);
      }
    }
    const extra = [...external].filter((d) => !allowedExternal[manifest.name]?.includes(d));
    if (extra.length > 0)
      failures.push(`${manifest.name} pulls in ${extra.join(', ')}, which DESIGN.md does not allow`);
  }

  // The consumer: a fresh npm project outside the workspace.
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs.values()],
    {
      cwd: consumer,
    },
  );
  for (const { dir, manifest } of packages) {
    const smoke = join(dir, 'test/smoke.mjs');
    if (!existsSync(smoke)) {
      failures.push(`${manifest.name} has no test/smoke.mjs for the consumer check`);
      continue;
    }
    const target = join(consumer, `smoke-${manifest.name.replace(/[@/]/g, '_')}.mjs`);
    cpSync(smoke, target);
    try {
      run(process.execPath, [target], { cwd: consumer });
    } catch (error) {
      failures.push(`consumer check ${manifest.name}:\n${error.stdout}${error.stderr}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(failures.join('\n\n'));
  console.error(`package checks: ${failures.length} failed (${packages.length} packages, ${seconds}s)`);
  process.exit(1);
}
console.log(
  `package checks: publint, attw, closures and consumer install passed for ${packages.length} packages (${seconds}s)`,
);
