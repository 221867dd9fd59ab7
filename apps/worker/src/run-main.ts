import { registerRunCommand } from './commands/run.ts';
import { buildProgram, runProgram } from './program-base.ts';

/**
 * `girder-worker run …`: the program with the run command only. The CLI build makes this entry one
 * file of its own (`dist/cli-run.js`, no chunks: Node resolves, reads and links one module instead
 * of twenty), which `cli.js` loads when the first argument is `run`.
 * @param argv - the process arguments (`process.argv`)
 */
export async function main(argv: readonly string[]): Promise<void> {
  await runProgram(buildProgram([registerRunCommand]), argv);
}
