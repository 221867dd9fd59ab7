import { Command, CommanderError } from 'commander';
// The bundler inlines the manifest; the version is never written by hand.
import manifest from '../package.json' with { type: 'json' };
import { commands } from './commands/index.ts';
import { describeFailure, EXIT, exitCodeOf } from './exit-codes.ts';

/**
 * The `girder-worker` program with every command of `commands/` registered, or only the one named
 * (a run need not build the options of the six others). Errors come out of `parseAsync`
 * (commander's own as `CommanderError`).
 * @param only - the name of the one command to register (what `argv[2]` names); all when not one
 * @returns the program
 */
export function createProgram(only?: string): Command {
  const program = new Command()
    .name('girder-worker')
    .description('Run Docker containers with data moved in and out for them (girder_worker docker_run).')
    .version(manifest.version)
    .showHelpAfterError()
    .exitOverride();
  const picked = commands.filter((c) => c.name === only);
  for (const { register } of picked.length > 0 ? picked : commands) register(program);
  return program;
}

/**
 * Runs the CLI: parses `argv`, runs the command, and on failure prints one clear message and exits
 * with its code (`EXIT`).
 * @param argv - the process arguments (`process.argv`)
 */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await createProgram(argv[2]).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.badInput);
    process.stderr.write(`${describeFailure(error)}\n`);
    process.exit(exitCodeOf(error));
  }
}
