import type { DockerRunEvent } from '@girder-worker/docker';
import type { Progress, Reporter } from '@girder-worker/transforms';

/** A live status line below the output (log-update's shape): show a text, clear it. */
export interface StatusLine {
  (text: string): void;
  /** Removes the status line. */
  clear(): void;
}

/** What the CLI shows while a run goes: container output, and live status on a terminal. */
export interface TerminalOutput {
  /** Gets the container's output lines and progress. */
  readonly reporter: Reporter;
  /** Gets dockerRun's events (pull, created, started, exited, stream). */
  readonly onEvent: (event: DockerRunEvent) => void;
  /** Removes the live status (before the final summary). Idempotent. */
  done(): void;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Container output and run status for the terminal. Container stdout goes to stdout (stderr with
 * `json`, so stdout holds only the JSON result), container stderr to stderr. With a `status` line
 * (given when stdout is a terminal and not `json`), a live status below the output shows the image
 * pull (bytes per layer), the container's state and the run's progress (from a `ProgressPipe`);
 * otherwise nothing but the output is printed while the run goes. Bytes moved per stream are
 * printed at the end.
 *
 * @param options - `json`: machine output; `status`: the live status line (e.g. log-update's)
 * @returns the reporter, the event handler and `done()`
 */
export function terminalOutput(options: { json: boolean; status?: StatusLine | undefined }): TerminalOutput {
  const out = options.json ? process.stderr : process.stdout;
  const status = options.json ? undefined : options.status;
  const layers = new Map<string, { current: number; total: number }>();
  let state = '';
  let progress: Progress | undefined;
  let started = 0;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;

  const render = (): void => {
    if (!status || finished) return;
    const parts: string[] = [];
    if (layers.size > 0 && (state === 'pulling' || state === 'extracting')) {
      let current = 0;
      let total = 0;
      for (const layer of layers.values()) {
        current += layer.current;
        total += layer.total;
      }
      parts.push(`${state} ${formatBytes(current)}${total > 0 ? ` of ${formatBytes(total)}` : ''}`);
    } else if (state) {
      parts.push(state === 'running' ? `running ${((Date.now() - started) / 1000).toFixed(0)} s` : state);
    }
    if (progress) {
      const pct =
        progress.total && progress.current !== undefined
          ? ` ${Math.round((progress.current / progress.total) * 100)}%`
          : '';
      parts.push(`progress${pct}${progress.message ? ` ${progress.message}` : ''}`);
    }
    status(parts.length > 0 ? `girder-worker: ${parts.join(' · ')}` : '');
  };
  /** Writes a persistent line without tearing the live status. */
  const writeLine = (stream: NodeJS.WriteStream, line: string): void => {
    if (!status || finished) {
      stream.write(`${line}\n`);
      return;
    }
    status.clear();
    stream.write(`${line}\n`);
    render();
  };
  const streamTotals: string[] = [];

  return {
    reporter: {
      // Container stdout goes to stdout; its stderr and the worker's own notes (pull summary) to stderr.
      log: (line, source) =>
        writeLine(source === 'stderr' || source === 'worker' ? process.stderr : out, line),
      progress: (p) => {
        progress = p;
        render();
      },
    },
    onEvent: (event) => {
      switch (event.type) {
        case 'pull':
          // Layers are downloaded, then extracted: show which, with that step's bytes.
          if (event.status === 'Extracting' && state !== 'extracting') layers.clear();
          state = event.status === 'Extracting' || state === 'extracting' ? 'extracting' : 'pulling';
          if (event.layer && event.total !== undefined)
            layers.set(event.layer, { current: event.current ?? 0, total: event.total });
          break;
        case 'created':
          state = 'created';
          break;
        case 'started':
          state = 'running';
          started = Date.now();
          if (status) timer ??= setInterval(render, 1000).unref();
          break;
        case 'exited':
          state = `exited with code ${event.exitCode}`;
          break;
        case 'cancelled':
          state = 'cancelling';
          break;
        case 'stream':
          streamTotals.push(`girder-worker: stream ${event.name} moved ${formatBytes(event.bytes)}`);
          break;
      }
      render();
    },
    done: () => {
      if (finished) return;
      clearInterval(timer);
      status?.clear();
      finished = true;
      if (!options.json) for (const line of streamTotals) process.stderr.write(`${line}\n`);
    },
  };
}
