import type { Command } from 'commander';
import { EXIT } from '../exit-codes.ts';
import { connectionOf, type QueueFlags, withQueueOptions } from './options.ts';

/**
 * `girder-worker cancel`: removes a queued run, or has its worker stop it; prints what it did
 * (`removed`, `signalled`, `finished`, `unknown`; the last exits 2).
 * @param program - the program to add it to
 */
export function registerCancelCommand(program: Command): void {
  withQueueOptions(
    program.command('cancel').description('cancel a queued or running run').argument('<id>', 'run id'),
  ).action(cancelAction);
}

async function cancelAction(id: string, flags: QueueFlags): Promise<void> {
  const { cancelRun } = await import('../client.ts');
  const outcome = await cancelRun(id, connectionOf(flags));
  process.stdout.write(`${outcome}\n`);
  if (outcome === 'unknown') process.exitCode = EXIT.badInput;
}
