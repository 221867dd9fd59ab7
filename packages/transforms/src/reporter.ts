/** A progress report, as a container writes it to a ProgressPipe (`{total, current, message}`). */
export interface Progress {
  /** Total amount of work, in the run's own unit. */
  total?: number;
  /** Work done so far. */
  current?: number;
  /** A short human-readable status. */
  message?: string;
}

/**
 * Where a run's log lines and progress go. The app wires it to stderr or to a Girder job;
 * libraries only call it.
 */
export interface Reporter {
  /**
   * One line of log output, without its trailing newline.
   * @param line - the text
   * @param source - `stdout`/`stderr` for container output, `worker` for the worker's own notes
   */
  log(line: string, source?: 'stdout' | 'stderr' | 'worker'): void;
  /** A progress update. */
  progress(progress: Progress): void;
}

/** A reporter that drops everything. */
export const silentReporter: Reporter = Object.freeze({ log: () => {}, progress: () => {} });
