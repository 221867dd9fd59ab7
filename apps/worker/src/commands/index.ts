import type { Command } from 'commander';
import { registerCancelCommand } from './cancel.ts';
import { registerCeleryCommand } from './celery.ts';
import { registerDashboardCommand } from './dashboard.ts';
import { registerRunCommand } from './run.ts';
import { registerStatusCommand } from './status.ts';
import { registerSubmitCommand } from './submit.ts';
import { registerWorkerCommand } from './worker.ts';

/** One command: its name on the command line and the function that adds it to the program. */
export interface CommandEntry {
  /** The command's name (`run`): the first argument that picks it. */
  readonly name: string;
  /** Adds the command, its arguments and options to the program. */
  readonly register: (program: Command) => void;
}

/**
 * Every command of `girder-worker`, in the order `--help` lists them. A command is one file in this
 * folder exporting `register…Command(program)` (which loads what it needs only when it runs) and
 * one line here.
 */
export const commands: readonly CommandEntry[] = [
  { name: 'run', register: registerRunCommand },
  { name: 'worker', register: registerWorkerCommand },
  { name: 'submit', register: registerSubmitCommand },
  { name: 'status', register: registerStatusCommand },
  { name: 'cancel', register: registerCancelCommand },
  { name: 'dashboard', register: registerDashboardCommand },
  { name: 'celery', register: registerCeleryCommand },
];
