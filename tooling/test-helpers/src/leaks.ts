import { lstat, readdir, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listLabelledContainers } from './docker.ts';
import { diffSnapshot, type FileSnapshot } from './snapshot.ts';

/** Number of open file descriptors of this process (Linux /proc). */
export async function countOpenFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

/** Open descriptors of this process that point at FIFOs or files under `dir`. */
async function fdsUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) found.push(`${fd} -> ${target}`);
  }
  return found;
}

/** Every FIFO below `dir`, recursively. */
export async function listFifos(dir: string): Promise<string[]> {
  const fifos: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFIFO()) fifos.push(path);
    else if (entry.isDirectory()) fifos.push(...(await listFifos(path)));
  }
  return fifos;
}

/** What {@link assertNoLeaks} checks. */
export interface LeakCheckOptions {
  /** Directories that must be empty (default: the test run's TMPDIR). */
  dirs?: string[];
  /**
   * Entries of those directories that may stay (fixtures owned by the test file). Entries whose
   * name starts with `gw-fixture-` (made by `makeTempDir`) are always allowed, and so is Node's own
   * `node-compile-cache` (written by exiting Node processes, not by us).
   */
  allow?: string[];
  /**
   * Only containers of this worker id count (default: `GW_WORKER_ID`, which the shared vitest
   * setup gives each test run, so concurrent runs on one engine do not see each other).
   */
  worker?: string;
  /** Whether to look for containers at all (default true). */
  containers?: boolean;
  /**
   * Snapshots (from `snapshotFiles`) of directories outside the run's own paths that must be
   * exactly as they were: nothing added, removed or changed.
   */
  unchanged?: readonly FileSnapshot[];
}

/**
 * Fails when a run left something behind: a container with girder-worker labels, an entry in
 * the test TMPDIR (temp volumes, FIFOs), an open descriptor pointing into it, or a change in a
 * directory it was not allowed to touch (`unchanged`).
 */
export async function assertNoLeaks(options: LeakCheckOptions = {}): Promise<void> {
  const problems: string[] = [];
  const dirs = options.dirs ?? [tmpdir()];
  const allow = new Set(options.allow ?? []);
  for (const dir of dirs) {
    const left = (await readdir(dir).catch(() => [] as string[])).filter(
      (name) => !allow.has(name) && !name.startsWith('gw-fixture-') && name !== 'node-compile-cache',
    );
    for (const name of left) {
      const info = await lstat(join(dir, name)).catch(() => undefined);
      problems.push(
        `${info?.isFIFO() ? 'fifo' : info?.isDirectory() ? 'directory' : 'file'} ${join(dir, name)}`,
      );
    }
    problems.push(...(await fdsUnder(dir)).map((fd) => `open descriptor ${fd}`));
  }
  for (const snapshot of options.unchanged ?? []) {
    problems.push(...(await diffSnapshot(snapshot)).map((line) => `outside the run: ${line}`));
  }
  if (options.containers !== false) {
    for (const c of await listLabelledContainers(options.worker ?? process.env.GW_WORKER_ID)) {
      problems.push(`container ${c.Id.slice(0, 12)} (${c.Image}, ${c.State})`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`resources left behind:\n  ${problems.join('\n  ')}`);
  }
}
