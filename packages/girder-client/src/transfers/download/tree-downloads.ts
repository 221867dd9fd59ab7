import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SignalOptions } from '../../http/requester.ts';
import type { GirderFile } from '../../models.ts';
import { safeFileName } from '../../names.ts';
import type { Files } from '../../resources/files.ts';
import type { Folders } from '../../resources/folders.ts';
import type { Items } from '../../resources/items.ts';
import type { FileDownloads } from './file-downloads.ts';

/** Items and folder trees written to local directories, as girder_client does. */
export interface TreeDownloads {
  /**
   * Downloads an item into `dir` as girder_client does: a one-file item becomes
   * `dir/<item name>`, a multi-file item a directory `dir/<item name>/` of its files. Names are
   * made safe with {@link safeFileName}: nothing can be written outside `dir`.
   * @param itemId - the item id
   * @param dir - an existing directory to write into
   * @param options - `name` (instead of the item's), `signal`
   * @returns the path written (a file or a directory)
   * @throws {@link UnsafeNameError} for a name that cannot be a file name (`..`, NUL, empty)
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  downloadItem(itemId: string, dir: string, options?: SignalOptions & { name?: string }): Promise<string>;
  /**
   * Downloads a folder recursively into `dir` (created if missing): subfolders become
   * directories, items are written as `downloadItem` does. Every name goes through
   * {@link safeFileName}, so nothing leaves `dir`.
   * @param folderId - the folder id
   * @param dir - the target directory
   * @param options - `signal`
   * @returns when everything is on disk
   * @throws {@link UnsafeNameError}, {@link GirderHttpError}, {@link GirderNetworkError}
   * @example
   * ```ts
   * await client.downloadFolderRecursive(folderId, './copy');
   * ```
   */
  downloadFolderRecursive(folderId: string, dir: string, options?: SignalOptions): Promise<void>;
}

/** What tree downloads use. */
export interface TreeDownloadParts {
  /** Folder listings. */
  folders: Folders;
  /** Item documents and listings. */
  items: Items;
  /** File listings. */
  files: Files;
  /** File downloads. */
  downloads: FileDownloads;
}

/**
 * Tree downloads over the resources and file downloads.
 * @param parts - folders, items, files, downloads
 * @returns the tree downloads
 */
export function createTreeDownloads({ folders, items, files, downloads }: TreeDownloadParts): TreeDownloads {
  const downloadItem: TreeDownloads['downloadItem'] = async (itemId, dir, options = {}) => {
    const item = await items.get(itemId, options);
    const all: GirderFile[] = await Array.fromAsync(files.list(itemId, options));
    const target = join(dir, safeFileName(options.name ?? item.name));
    const [only] = all;
    if (all.length === 1 && only) {
      await downloads.downloadFileToPath(only._id, target, options);
      return target;
    }
    await mkdir(target, { recursive: true });
    for (const file of all)
      await downloads.downloadFileToPath(file._id, join(target, safeFileName(file.name)), options);
    return target;
  };
  const downloadFolderRecursive: TreeDownloads['downloadFolderRecursive'] = async (
    folderId,
    dir,
    options = {},
  ) => {
    await mkdir(dir, { recursive: true });
    for await (const folder of folders.list({ parentId: folderId, parentType: 'folder' }, options)) {
      await downloadFolderRecursive(folder._id, join(dir, safeFileName(folder.name)), options);
    }
    for await (const item of items.list({ folderId }, options)) await downloadItem(item._id, dir, options);
  };
  return { downloadItem, downloadFolderRecursive };
}
