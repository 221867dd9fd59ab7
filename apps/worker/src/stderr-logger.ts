import type { Logger } from '@girder-worker/transforms';
import { cliSecrets } from './cli-secrets.ts';

/**
 * A logger for the CLI: warnings and errors on stderr; info and debug too with `verbose`. Every
 * secret the CLI knows is masked in each line.
 * @param verbose - also print info and debug
 * @returns the logger
 */
export function stderrLogger(verbose: boolean): Logger {
  const write =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      const extra = context && Object.keys(context).length > 0 ? ` ${JSON.stringify(context)}` : '';
      process.stderr.write(cliSecrets.redact(`girder-worker ${level}: ${message}${extra}\n`));
    };
  const quiet = (): void => {};
  return {
    debug: verbose ? write('debug') : quiet,
    info: verbose ? write('info') : quiet,
    warn: write('warn'),
    error: write('error'),
  };
}
