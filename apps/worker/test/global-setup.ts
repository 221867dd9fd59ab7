import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI tests spawn the built app (and it imports the built packages): build them once (turbo cache). */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  execFileSync('pnpm', ['turbo', 'run', 'build', '--filter=girder-worker...', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
}
