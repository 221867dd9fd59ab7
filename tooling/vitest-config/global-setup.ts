import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Gives the whole test run a private TMPDIR. Every temporary directory our code makes lands in
 * it, so a test's leak check (`assertNoLeaks` in @girder-worker/test-helpers) sees only its own
 * run, even while other runs share the machine. At the end it must be empty.
 */
export default function setup(): () => void {
  const base = mkdtempSync(join(tmpdir(), 'gw-test-'));
  process.env.TMPDIR = base;
  process.env.GW_TEST_TMPDIR = base;
  // Node and pnpm would otherwise keep a compile cache in TMPDIR.
  process.env.NODE_DISABLE_COMPILE_CACHE = '1';
  process.env.GW_TEST_RUN_ID ??= `t${process.pid}-${Date.now().toString(36)}`;
  // dockerRun labels containers with this worker id; leak checks look only at this run's.
  process.env.GW_WORKER_ID ??= `test-${process.env.GW_TEST_RUN_ID}`;
  return () => {
    // Node's own compile cache (written by exiting Node processes) is not ours to clean.
    const left = readdirSync(base).filter((name) => name !== 'node-compile-cache');
    rmSync(base, { recursive: true, force: true });
    if (left.length > 0 && process.env.GW_TEST_ALLOW_TMP_LEFTOVERS !== '1') {
      throw new Error(
        `the test run left ${left.length} entries in its TMPDIR: ${left.slice(0, 10).join(', ')}`,
      );
    }
  };
}
