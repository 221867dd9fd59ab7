import type { DockerRunEvent } from '@girder-worker/docker';
import type { Reporter } from '@girder-worker/transforms';
import { formatBytes } from './format-bytes.ts';
import { applyRunEvent, createLiveStatus, type LiveStatus, liveStatusText } from './live-status.ts';

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
  const line = liveLine(options.json ? undefined : options.status);
  const streamTotals: string[] = [];
  return {
    reporter: {
      // Container stdout goes to stdout; its stderr and the worker's own notes (pull summary) to stderr.
      log: (text, source) =>
        line.write(source === 'stderr' || source === 'worker' ? process.stderr : out, text),
      progress: (p) => {
        line.status.progress = p;
        line.render();
      },
    },
    onEvent: (event) => {
      applyRunEvent(line.status, event);
      if (event.type === 'started') line.tick();
      else if (event.type === 'stream')
        streamTotals.push(`girder-worker: stream ${event.name} moved ${formatBytes(event.bytes)}`);
      line.render();
    },
    done: () => {
      if (!line.stop()) return;
      if (!options.json) for (const total of streamTotals) process.stderr.write(`${total}\n`);
    },
  };
}

/** The live status below the output, and the writing of persistent lines above it. */
interface LiveLine {
  /** What the line shows. */
  readonly status: LiveStatus;
  /** Shows the status (nothing without a status line, or once stopped). */
  render(): void;
  /** Writes a persistent line without tearing the live status. */
  write(stream: NodeJS.WriteStream, text: string): void;
  /** Renders every second from now on (the seconds running), with a status line. */
  tick(): void;
  /** Stops the ticks and removes the status line; false if it was already stopped. */
  stop(): boolean;
}

/** The live line over a status line (log-update's); without one, only persistent lines are written. */
function liveLine(statusLine: StatusLine | undefined): LiveLine {
  const status = createLiveStatus();
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const render = (): void => {
    if (!statusLine || finished) return;
    statusLine(liveStatusText(status));
  };
  return {
    status,
    render,
    write: (stream, text) => {
      if (!statusLine || finished) {
        stream.write(`${text}\n`);
        return;
      }
      statusLine.clear();
      stream.write(`${text}\n`);
      render();
    },
    tick: () => {
      if (statusLine) timer ??= setInterval(render, 1000).unref();
    },
    stop: () => {
      if (finished) return false;
      clearInterval(timer);
      statusLine?.clear();
      finished = true;
      return true;
    },
  };
}
