import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SignalOptions } from '../../http/requester.ts';
import type { GirderFile } from '../../models.ts';
import type { Folders } from '../../resources/folders.ts';
import type { UploadFile, UploadTarget } from './chunked-upload.ts';

/** Options of an upload from a local path: the target's, with the name defaulting to the file's. */
export type PathUploadOptions = Omit<UploadTarget, 'parentType' | 'parentId' | 'name'> & {
  /**
   * The file name in Girder.
   * @default the local file's base name
   */
  name?: string;
};

/** Local files and directory trees uploaded into items and folders. */
export interface TreeUploads {
  /**
   * Uploads a local file into an item (adds a file to it), as `uploadFile`.
   * @param itemId - the item id
   * @param path - the local file
   * @param options - `name` (default: the file's base name), `mimeType`, `chunkBytes`, `onProgress`, `signal`
   * @returns the new file document
   * @throws as `uploadFile`
   */
  uploadFileToItem(itemId: string, path: string, options?: PathUploadOptions): Promise<GirderFile>;
  /**
   * Uploads a local file into a folder (Girder creates an item named after it), as `uploadFile`.
   * @param folderId - the folder id
   * @param path - the local file
   * @param options - `name` (default: the file's base name), `mimeType`, `chunkBytes`, `onProgress`, `signal`
   * @returns the new file document
   * @throws as `uploadFile`
   */
  uploadFileToFolder(folderId: string, path: string, options?: PathUploadOptions): Promise<GirderFile>;
  /**
   * Uploads a local directory into a folder, recursively: subdirectories become folders (reused
   * when they exist), regular files become items (symbolic links and other entries are skipped).
   * @param folderId - the target folder id
   * @param dir - the local directory
   * @param options - `signal`
   * @returns when every file is uploaded
   * @throws as `uploadFile` and `createFolder`
   */
  uploadDirectoryToFolder(folderId: string, dir: string, options?: SignalOptions): Promise<void>;
}

/**
 * Tree uploads over `uploadFile` and the folders resource.
 * @param uploadFile - the chunked upload
 * @param folders - creates (or reuses) the folders
 * @returns the tree uploads
 */
export function createTreeUploads(uploadFile: UploadFile, folders: Folders): TreeUploads {
  const uploadFileToFolder: TreeUploads['uploadFileToFolder'] = (folderId, path, options = {}) =>
    uploadFile(
      { ...options, parentType: 'folder', parentId: folderId, name: options.name ?? basename(path) },
      path,
    );
  const uploadDirectoryToFolder: TreeUploads['uploadDirectoryToFolder'] = async (
    folderId,
    dir,
    options = {},
  ) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        const folder = await folders.create(folderId, entry.name, { reuseExisting: true, ...options });
        await uploadDirectoryToFolder(folder._id, path, options);
      } else if (entry.isFile()) {
        await uploadFileToFolder(folderId, path, options);
      }
    }
  };
  return {
    uploadFileToItem: (itemId, path, options = {}) =>
      uploadFile(
        { ...options, parentType: 'item', parentId: itemId, name: options.name ?? basename(path) },
        path,
      ),
    uploadFileToFolder,
    uploadDirectoryToFolder,
  };
}
