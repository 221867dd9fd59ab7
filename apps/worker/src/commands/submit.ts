import type { Command } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { RunCancelledError } from '../errors.ts';
import { readSpec } from '../read-spec.ts';
import { connectionOf, type QueueFlags, withQueueOptions } from './options.ts';

interface SubmitFlags extends QueueFlags {
  wait?: boolean;
  json?: boolean;
}

/**
 * `girder-worker submit`: validates a spec, makes its host paths absolute, queues it; with `--wait`,
 * waits for its end.
 * @param program - the program to add it to
 */
export function registerSubmitCommand(program: Command): void {
  withQueueOptions(
    program.command('submit').description('queue a run spec').argument('<spec>', 'run spec JSON file, or -'),
  )
    .option('--wait', 'wait until the run has finished')
    .option('--json', 'print JSON')
    .action(submitAction);
}

async function submitAction(specPath: string, flags: SubmitFlags): Promise<void> {
  const { json, baseDir } = await readSpec(specPath);
  const [{ submitRun, waitForRun }, { resolveSpecPaths }] = await Promise.all([
    import('../client.ts'),
    import('../spec.ts'),
  ]);
  const connection = connectionOf(flags);
  // Relative host paths are taken from the spec's directory here, not the worker's.
  const id = await submitRun({
    ...connection,
    spec: resolveSpecPaths(json, baseDir),
    ...(process.env.GIRDER_TOKEN ? { girderToken: process.env.GIRDER_TOKEN } : {}),
  });
  if (!flags.wait) {
    process.stdout.write(flags.json ? `${JSON.stringify({ id })}\n` : `${id}\n`);
    return;
  }
  const controller = new AbortController();
  const stopWaiting = (): void =>
    controller.abort(
      new RunCancelledError(
        `stopped waiting for run ${id} (it goes on; cancel it with: girder-worker cancel ${id})`,
      ),
    );
  process.once('SIGINT', stopWaiting);
  try {
    const result = await waitForRun(id, { ...connection, signal: controller.signal });
    process.stdout.write(
      cliSecrets.redact(
        flags.json
          ? `${JSON.stringify({ id, ...result })}\n`
          : `${id} exited with code ${result.exitCode} on ${result.worker}\n`,
      ),
    );
  } finally {
    process.off('SIGINT', stopWaiting);
  }
}
