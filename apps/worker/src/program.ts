import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.ts';
import { describeFailure, EXIT, exitCodeOf } from './exit-codes.ts';

/** This package's version, from its package.json (one directory above `src/` and `dist/`). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/**
 * The `girder-worker` program with every command of `commands/` registered. Errors come out of
 * `parseAsync` (commander's own as `CommanderError`).
 * @returns the program
 */
export function createProgram(): Command {
  const program = new Command()
    .name('girder-worker')
    .description('Run Docker containers with data moved in and out for them (girder_worker docker_run).')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/**
 * Runs the CLI: parses `argv`, runs the command, and on failure prints one clear message and exits
 * with its code (`EXIT`).
 * @param argv - the process arguments (`process.argv`)
 */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.badInput);
    process.stderr.write(`${describeFailure(error)}\n`);
    process.exit(exitCodeOf(error));
  }
}
