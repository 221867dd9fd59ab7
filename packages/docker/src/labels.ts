import { hostname } from 'node:os';
import manifest from '../package.json' with { type: 'json' };

/** The labels every container started by dockerRun carries, so orphans can be found. */
export const LABELS: {
  readonly run: 'org.girder-worker.run';
  readonly worker: 'org.girder-worker.worker';
  readonly host: 'org.girder-worker.host';
  readonly pid: 'org.girder-worker.pid';
  readonly version: 'org.girder-worker.version';
} = Object.freeze({
  run: 'org.girder-worker.run',
  worker: 'org.girder-worker.worker',
  host: 'org.girder-worker.host',
  pid: 'org.girder-worker.pid',
  version: 'org.girder-worker.version',
} as const);

/** This package's version, written on every container. */
const PACKAGE_VERSION: string = manifest.version;

/** The worker id of this process: `GW_WORKER_ID`, else `<hostname>-<pid>`. */
export function defaultWorkerId(): string {
  return process.env.GW_WORKER_ID ?? `${hostname()}-${process.pid}`;
}

/** The labels of one run's container. */
export function runLabels(runId: string, workerId: string): Record<string, string> {
  return {
    [LABELS.run]: runId,
    [LABELS.worker]: workerId,
    [LABELS.host]: hostname(),
    [LABELS.pid]: String(process.pid),
    [LABELS.version]: PACKAGE_VERSION,
  };
}
