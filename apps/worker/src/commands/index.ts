import type { Command } from 'commander';
import { registerCancelCommand } from './cancel.ts';
import { registerCeleryCommand } from './celery.ts';
import { registerDashboardCommand } from './dashboard.ts';
import { registerRunCommand } from './run.ts';
import { registerStatusCommand } from './status.ts';
import { registerSubmitCommand } from './submit.ts';
import { registerWorkerCommand } from './worker.ts';

/**
 * Every command of `girder-worker`, in the order `--help` lists them. A command is one file in this
 * folder exporting `register…Command(program)` (which loads what it needs only when it runs) and
 * one line here.
 */
export const commands: readonly ((program: Command) => void)[] = [
  registerRunCommand,
  registerWorkerCommand,
  registerSubmitCommand,
  registerStatusCommand,
  registerCancelCommand,
  registerDashboardCommand,
  registerCeleryCommand,
];
