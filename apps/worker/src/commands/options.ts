import type { Command } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { DEFAULT_QUEUE, type QueueConnection } from '../queue-common.ts';

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Commander's parser for an integer option (a bad value is refused where it is validated). */
export function integer(value: string): number {
  return /^-?\d+$/.test(value.trim()) ? Number.parseInt(value, 10) : Number.NaN;
}

/** The queue connection flags every queue command shares. */
export interface QueueFlags {
  /** `--redis <url>` */
  redis: string;
  /** `--queue <name>` */
  queue: string;
}

/**
 * Adds `--redis <url>` (required) and `--queue <name>` to a queue command.
 * @param command - the command
 * @returns the same command
 */
export function withQueueOptions(command: Command): Command {
  return command
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--queue <name>', 'queue name', DEFAULT_QUEUE);
}

/**
 * The queue connection of a command's flags; the password of `--redis` joins the CLI's secrets.
 * @param flags - the command's flags
 * @returns the connection, with the CLI's secrets to mask
 */
export function connectionOf(flags: QueueFlags): QueueConnection {
  cliSecrets.addUrlCredentials(flags.redis);
  return { redisUrl: flags.redis, queue: flags.queue, secrets: cliSecrets };
}
