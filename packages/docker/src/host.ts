import { existsSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import type { Logger } from '@girder-worker/transforms';
import type Docker from 'dockerode';

/**
 * When this worker itself runs in a container, the bridge network it is on, so that the run's
 * container can reach the same services (girder_worker's `_get_docker_network`); else undefined.
 */
export async function detectOwnNetwork(docker: Docker, logger: Logger): Promise<string | undefined> {
  if (!existsSync('/.dockerenv')) return undefined;
  try {
    const bridges = (await docker.listNetworks()).filter((network) => network.Driver === 'bridge');
    // Read only when there is a bridge to look in (it is a synchronous call).
    const addresses = bridges.length > 0 ? ownAddresses() : new Set<string>();
    for (const network of bridges) {
      const info = await docker.getNetwork(network.Id).inspect();
      for (const c of Object.values((info.Containers ?? {}) as Record<string, { IPv4Address?: string }>)) {
        if (addresses.has(c.IPv4Address?.split('/')[0] ?? '')) return network.Name;
      }
    }
  } catch (error) {
    logger.debug('could not find the network of this worker container', {
      hostname: hostname(),
      error: String(error),
    });
  }
  return undefined;
}

/** This host's interface addresses. */
function ownAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address)
      .filter((a): a is string => typeof a === 'string'),
  );
}

/** Whether anything at the top of `dir` belongs to another user than this process. */
export async function hasForeignFiles(dir: string): Promise<boolean> {
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return false;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const info = await lstat(`${dir}/${name}`).catch(() => undefined);
    if (info && info.uid !== uid) return true;
  }
  return false;
}

/**
 * Makes files a container wrote as root removable by this (non-root) worker: runs a small
 * helper container doing `chmod -R a+rwX` on each directory (girder_worker does the same).
 */
export async function makeRemovable(
  docker: Docker,
  image: string,
  dirs: readonly string[],
  labels: Record<string, string>,
): Promise<void> {
  if (dirs.length === 0) return;
  const mounts = dirs.map((dir, i) => ({ dir, at: `/gw-fix/${i}` }));
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['chmod'],
    Cmd: ['-R', 'a+rwX', ...mounts.map((m) => m.at)],
    Labels: labels,
    HostConfig: { Binds: mounts.map((m) => `${m.dir}:${m.at}:rw`), NetworkMode: 'none' },
  });
  try {
    await container.start();
    await container.wait();
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}
