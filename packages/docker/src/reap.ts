import { hostname } from 'node:os';
import { type Logger, removeOrphanedTemporaryDirectory, silentLogger } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { LABELS } from './labels.ts';

/** Options of {@link reapOrphans}. */
export interface ReapOptions {
  /** The Docker client. */
  docker: Docker;
  /**
   * Whether the worker that started a container is still alive. By default a worker on this host
   * is alive while its pid is; workers on other hosts are assumed alive (pass a predicate that
   * knows, e.g. from worker heartbeats).
   */
  isWorkerAlive?: (labels: {
    worker: string;
    host: string | undefined;
    pid: number | undefined;
  }) => boolean | Promise<boolean>;
  /** Only containers of these worker ids. @default every girder-worker container */
  workers?: readonly string[];
  /** @default silent */
  logger?: Logger;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes containers carrying girder-worker's labels whose worker is gone (a crashed or killed
 * worker's leftovers), with the temporary volumes they had mounted when the worker was on this
 * host. A mounted folder is removed only when the run itself created it, as proved by the marker
 * its TemporaryVolume wrote beside it (outside the container's reach) naming that mount; names
 * are never trusted, so a user's bind mount (even one called `girder_worker_…` and mounted under
 * `/mnt/girder_worker/`) is always kept.
 * @returns the ids of the removed containers
 */
export async function reapOrphans(options: ReapOptions): Promise<string[]> {
  const logger = options.logger ?? silentLogger;
  const here = hostname();
  const alive =
    options.isWorkerAlive ??
    ((labels: { host: string | undefined; pid: number | undefined }) =>
      labels.host !== here || labels.pid === undefined || labels.pid === process.pid || pidAlive(labels.pid));
  const containers = await options.docker.listContainers({ all: true, filters: { label: [LABELS.worker] } });
  const removed: string[] = [];
  for (const info of containers) {
    const worker = info.Labels[LABELS.worker] ?? '';
    if (options.workers && !options.workers.includes(worker)) continue;
    const pidText = info.Labels[LABELS.pid];
    const labels = {
      worker,
      host: info.Labels[LABELS.host],
      pid: pidText === undefined ? undefined : Number(pidText),
    };
    if (await alive(labels)) continue;
    try {
      // The dead worker never removed the run's temporary volumes: do it here (same host only).
      if (labels.host === here) {
        for (const mount of info.Mounts ?? []) {
          if (mount.Type !== 'bind' || !mount.Source || !mount.Destination) continue;
          if (await removeOrphanedTemporaryDirectory(mount.Source, mount.Destination)) {
            logger.debug('removed an orphaned temporary volume', {
              path: mount.Source,
              containerId: info.Id,
            });
          }
        }
      }
      await options.docker.getContainer(info.Id).remove({ force: true, v: true });
      removed.push(info.Id);
      logger.info('removed an orphaned container', {
        containerId: info.Id,
        worker,
        run: info.Labels[LABELS.run],
      });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) {
        logger.warn('could not remove an orphaned container', { containerId: info.Id, error: String(error) });
      }
    }
  }
  return removed;
}
