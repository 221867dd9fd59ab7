import type { Command } from 'commander';
import { commands } from './commands/index.ts';
import { buildProgram, runProgram } from './program-base.ts';

/**
 * The `girder-worker` program with every command of `commands/` registered, or only the one named
 * (a command need not build the options of the six others). Errors come out of `parseAsync`
 * (commander's own as `CommanderError`).
 * @param only - the name of the one command to register (what `argv[2]` names); all when not one
 * @returns the program
 */
function createProgram(only?: string): Command {
  const picked = commands.filter((c) => c.name === only);
  return buildProgram((picked.length > 0 ? picked : commands).map((c) => c.register));
}

/**
 * Runs the CLI: parses `argv`, runs the command, and on failure prints one clear message and exits
 * with its code (`EXIT`).
 * @param argv - the process arguments (`process.argv`)
 */
export async function main(argv: readonly string[]): Promise<void> {
  await runProgram(createProgram(argv[2]), argv);
}
