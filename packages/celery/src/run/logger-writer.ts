import type { Logger } from '@girder-worker/transforms';
import type { LogWriter } from './job-log-sink.ts';

/**
 * A {@link LogWriter} that hands complete lines to a logger (`info`, with `context`): where
 * `HostStdOut`/`HostStdErr` go when a task has no job log, so the library itself never prints.
 * @param logger - the worker's logger
 * @param context - fields for every line (task id, stream)
 * @returns the writer; a last line without newline is logged when its stream ends
 */
export function loggerWriter(logger: Logger, context: Record<string, unknown>): LogWriter {
  let pending = '';
  return {
    write(text) {
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        logger.info(pending.slice(0, newline), context);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    },
    end() {
      if (pending !== '') logger.info(pending, context);
      pending = '';
    },
  };
}
