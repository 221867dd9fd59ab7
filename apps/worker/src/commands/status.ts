import type { Command } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { RunNotFoundError } from '../errors.ts';
import { connectionOf, type QueueFlags, withQueueOptions } from './options.ts';

/**
 * `girder-worker status`: prints a queued run's state as JSON; an unknown id exits 2.
 * @param program - the program to add it to
 */
export function registerStatusCommand(program: Command): void {
  withQueueOptions(
    program.command('status').description('show the state of a queued run').argument('<id>', 'run id'),
  ).action(statusAction);
}

async function statusAction(id: string, flags: QueueFlags): Promise<void> {
  const { getRunStatus } = await import('../client.ts');
  const status = await getRunStatus(id, connectionOf(flags));
  if (!status) throw new RunNotFoundError(id, flags.queue);
  process.stdout.write(cliSecrets.redact(`${JSON.stringify(status)}\n`));
}
