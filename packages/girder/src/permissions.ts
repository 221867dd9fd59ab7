import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Opens downloaded data to any container user (directories 0o777, files 0o644), as girder_worker's
 * `setPermissions` does; failures are ignored (a file we cannot chmod is still readable by us).
 */
export async function openPermissions(path: string, isDirectory: boolean): Promise<void> {
  if (!isDirectory) {
    await chmod(path, 0o644).catch(() => {});
    return;
  }
  await chmod(path, 0o777).catch(() => {});
  for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
    await openPermissions(join(path, entry.name), entry.isDirectory());
  }
}
