#!/usr/bin/env node
// Import cycles, at two levels:
//  1. between packages: the workspace dependencies of every package and app must form no cycle
//     (DESIGN.md: imports go only down: transforms ← pipes ← docker, …);
//  2. inside each package: dpdm walks the TypeScript source from each entry (type-only imports
//     do not count: they vanish at build) and fails on any circular import.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const failures = [];

const workspaces = [];
for (const group of ['packages', 'apps', 'tooling']) {
  for (const entry of readdirSync(join(root, group))) {
    const dir = join(root, group, entry);
    const manifestPath = join(dir, 'package.json');
    if (existsSync(manifestPath))
      workspaces.push({ dir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) });
  }
}

// 1. Package graph (runtime and dev dependencies on workspace siblings).
const names = new Set(workspaces.map((w) => w.manifest.name));
const edges = new Map(
  workspaces.map(({ manifest }) => [
    manifest.name,
    Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((d) => names.has(d)),
  ]),
);
const state = new Map();
const visit = (name, path) => {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'active') {
    failures.push(`package cycle: ${[...path.slice(path.indexOf(name)), name].join(' → ')}`);
    return;
  }
  state.set(name, 'active');
  for (const next of edges.get(name) ?? []) visit(next, [...path, name]);
  state.set(name, 'done');
};
for (const name of edges.keys()) visit(name, []);

// 2. Module graph inside each package, from its entries.
for (const { dir, manifest } of workspaces) {
  const entries = ['src/index.ts', 'src/cli.ts'].map((e) => join(dir, e)).filter((e) => existsSync(e));
  if (entries.length === 0) continue;
  try {
    execFileSync(
      'pnpm',
      [
        'exec',
        'dpdm',
        '--no-tree',
        '--no-warning',
        '--transform',
        '--exit-code',
        'circular:1',
        ...entries.map((e) => relative(root, e)),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    );
  } catch (error) {
    failures.push(`module cycle in ${manifest.name}:\n${error.stdout}${error.stderr}`);
  }
}

if (failures.length > 0) {
  console.error(failures.join('\n\n'));
  process.exit(1);
}
console.log(
  `check-cycles: no import cycle between ${workspaces.length} workspace packages or inside any of them`,
);
