import { Command, CommanderError } from 'commander';
import manifest from '../package.json' with { type: 'json' };
import { describeFailure, EXIT, exitCodeOf } from './exit-codes.ts';

/**
 * The `girder-worker` program with the given commands registered. Errors come out of `parseAsync`
 * (commander's own as `CommanderError`).
 * @param registers - the functions that add each command, in the order `--help` lists them
 * @returns the program
 */
export function buildProgram(registers: readonly ((program: Command) => void)[]): Command {
  const program = new Command()
    .name('girder-worker')
    .description('Run Docker containers with data moved in and out for them (girder_worker docker_run).')
    .version(manifest.version)
    .showHelpAfterError()
    .exitOverride();
  for (const register of registers) register(program);
  return program;
}

/**
 * Parses `argv` with `program`, runs the command, and on failure prints one clear message and
 * exits with its code (`EXIT`).
 * @param program - the program ({@link buildProgram})
 * @param argv - the process arguments (`process.argv`)
 */
export async function runProgram(program: Command, argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.badInput);
    process.stderr.write(`${describeFailure(error)}\n`);
    process.exit(exitCodeOf(error));
  }
}
