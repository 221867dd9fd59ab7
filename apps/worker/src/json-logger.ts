import type { Logger } from '@girder-worker/transforms';

/** The log formats of the worker commands. */
export type LogFormat = 'text' | 'json';

/**
 * A logger writing one JSON object per line: `time` (ISO 8601), `level`, `msg`, then the context
 * fields (`runId`, `jobId`, `containerId`, `image`, `error`…) as they were given. Errors in the
 * context are written as their message. For log shippers (Loki, Elasticsearch, CloudWatch).
 *
 * @param write - where each line goes (e.g. `(line) => process.stderr.write(line)`)
 * @param options - `verbose`: also debug and info lines (warnings and errors are always written)
 * @returns the logger
 * @example
 * ```ts
 * const logger = jsonLinesLogger((line) => process.stderr.write(line), { verbose: true });
 * logger.info('run started', { runId: '42', image: 'busybox' });
 * // {"time":"2026-12-02T01:00:00.000Z","level":"info","msg":"run started","runId":"42","image":"busybox"}
 * ```
 */
export function jsonLinesLogger(write: (line: string) => void, options: { verbose?: boolean } = {}): Logger {
  const emit =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      const fields: Record<string, unknown> = { time: new Date().toISOString(), level, msg: message };
      for (const [key, value] of Object.entries(context ?? {})) {
        if (key === 'time' || key === 'level' || key === 'msg') continue;
        fields[key] = value instanceof Error ? value.message : value;
      }
      write(`${JSON.stringify(fields)}\n`);
    };
  const quiet = (): void => {};
  return {
    debug: options.verbose ? emit('debug') : quiet,
    info: options.verbose ? emit('info') : quiet,
    warn: emit('warn'),
    error: emit('error'),
  };
}
