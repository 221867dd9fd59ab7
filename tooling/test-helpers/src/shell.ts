import { spawn } from 'node:child_process';

/**
 * Runs `script` with `sh -c` (extra `args` become `$1`, `$2`, …), its output dropped and its
 * stderr passed through; resolves when it exits 0, rejects naming the script otherwise.
 */
export function runShell(script: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited ${code}`))));
  });
}
