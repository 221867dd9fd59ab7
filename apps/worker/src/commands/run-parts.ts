// What `girder-worker run` loads once its flags are parsed, as one module: the bundle makes it one
// chunk (beside the chunks it shares with other commands) instead of one per import.

export { executeRun } from '../execute.ts';
export { specFromFlags } from '../flags.ts';
export { loadRunSpec } from '../spec.ts';
export { stderrLogger } from '../stderr-logger.ts';
export { terminalOutput } from '../terminal-output.ts';
