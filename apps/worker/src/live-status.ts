import type { DockerRunEvent } from '@girder-worker/docker';
import type { Progress } from '@girder-worker/transforms';
import { formatBytes } from './format-bytes.ts';

/** What the CLI's live status line shows of a run, as dockerRun's events and its progress leave it. */
export interface LiveStatus {
  /**
   * The container's state: `pulling`, `extracting`, `created`, `running`, `exited with code <n>`,
   * `cancelling`; empty before the first event.
   */
  state: string;
  /** Bytes of the current pull step (layers are downloaded, then extracted), by layer. */
  readonly layers: Map<string, { current: number; total: number }>;
  /** The run's last progress (from a `ProgressPipe`). */
  progress: Progress | undefined;
  /** When the container started (milliseconds since the epoch), for `running <n> s`. */
  startedAt: number;
}

/**
 * The live status of a run that has not started yet: nothing to show.
 * @returns a status to update with {@link applyRunEvent}
 */
export function createLiveStatus(): LiveStatus {
  return { state: '', layers: new Map(), progress: undefined, startedAt: 0 };
}

/**
 * Updates the status with one of dockerRun's events (stream events leave it as it is).
 * @param status - the status to update
 * @param event - the event
 * @param now - the time of the event (milliseconds since the epoch)
 */
export function applyRunEvent(status: LiveStatus, event: DockerRunEvent, now: number = Date.now()): void {
  switch (event.type) {
    case 'pull':
      // Layers are downloaded, then extracted: show which, with that step's bytes.
      if (event.status === 'Extracting' && status.state !== 'extracting') status.layers.clear();
      status.state =
        event.status === 'Extracting' || status.state === 'extracting' ? 'extracting' : 'pulling';
      if (event.layer && event.total !== undefined)
        status.layers.set(event.layer, { current: event.current ?? 0, total: event.total });
      return;
    case 'created':
      status.state = 'created';
      return;
    case 'started':
      status.state = 'running';
      status.startedAt = now;
      return;
    case 'exited':
      status.state = `exited with code ${event.exitCode}`;
      return;
    case 'cancelled':
      status.state = 'cancelling';
      return;
  }
}

/**
 * The status line: `girder-worker: ` then the state (with the pull's bytes, or the seconds
 * running) and the progress, joined by ` · `; empty when there is nothing to show.
 * @param status - the status
 * @param now - the time to count `running <n> s` to (milliseconds since the epoch)
 * @returns the line, without a newline
 */
export function liveStatusText(status: LiveStatus, now: number = Date.now()): string {
  const parts: string[] = [];
  const state = stateText(status, now);
  if (state) parts.push(state);
  if (status.progress) parts.push(progressText(status.progress));
  return parts.length > 0 ? `girder-worker: ${parts.join(' · ')}` : '';
}

/** The state part: the pull step with its bytes so far, the seconds running, or the state as it is. */
function stateText(status: LiveStatus, now: number): string {
  const { state, layers } = status;
  if (layers.size > 0 && (state === 'pulling' || state === 'extracting')) {
    let current = 0;
    let total = 0;
    for (const layer of layers.values()) {
      current += layer.current;
      total += layer.total;
    }
    return `${state} ${formatBytes(current)}${total > 0 ? ` of ${formatBytes(total)}` : ''}`;
  }
  return state === 'running' ? `running ${((now - status.startedAt) / 1000).toFixed(0)} s` : state;
}

/** The progress part: `progress`, its percentage when it has a total, and its message. */
function progressText(progress: Progress): string {
  const pct =
    progress.total && progress.current !== undefined
      ? ` ${Math.round((progress.current / progress.total) * 100)}%`
      : '';
  return `progress${pct}${progress.message ? ` ${progress.message}` : ''}`;
}
