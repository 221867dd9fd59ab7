import type { Command } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { BadInputError } from '../errors.ts';
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

/**
 * Reads `--registry-auth`: a JSON file of registry credentials, checked by `parseRegistryAuth`; the
 * password joins the CLI's secrets. Without the flag: undefined (the host's Docker config is used).
 * @param file - the flag's value
 * @returns the credentials
 */
export async function registryAuthOf(
  file: string | undefined,
): Promise<import('@girder-worker/docker').RegistryAuth | undefined> {
  if (file === undefined) return undefined;
  const [{ readFile }, { parseRegistryAuth }] = await Promise.all([
    import('node:fs/promises'),
    import('@girder-worker/docker'),
  ]);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new BadInputError('--registry-auth', `expected a readable JSON file of credentials, got ${file}`);
  }
  const auth = parseRegistryAuth(json, '--registry-auth');
  if ('password' in auth) cliSecrets.add(auth.password);
  if ('identitytoken' in auth) cliSecrets.add(auth.identitytoken);
  return auth;
}
