import type { Logger } from '@girder-worker/transforms';

/**
 * A logger for the CLI: warnings and errors on stderr; info and debug too with `verbose`.
 * @param verbose - also print info and debug
 * @returns the logger
 */
export function stderrLogger(verbose: boolean): Logger {
  const write =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      const extra = context && Object.keys(context).length > 0 ? ` ${JSON.stringify(context)}` : '';
      process.stderr.write(`girder-worker ${level}: ${message}${extra}\n`);
    };
  const quiet = (): void => {};
  return {
    debug: verbose ? write('debug') : quiet,
    info: verbose ? write('info') : quiet,
    warn: write('warn'),
    error: write('error'),
  };
}
