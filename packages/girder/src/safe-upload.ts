import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { GirderFile } from '@girder-worker/girder-client';
import {
  describeEntry,
  lstatBeneath,
  openFileBeneath,
  type TransformContext,
  UnsafePathError,
  visitTreeBeneath,
} from '@girder-worker/transforms';
import { girderClientOf } from './services.ts';

/**
 * What a result path is, checked without following links: `file` or `directory`, undefined when
 * missing.
 * @throws UnsafePathError when it is a symbolic link (a container may have pointed it at a host
 * path), a FIFO or device, or a folder on the way is a link
 */
async function resultPathKind(root: string, relative: string): Promise<'file' | 'directory' | undefined> {
  const info = await lstatBeneath(root, relative);
  if (!info) return undefined;
  if (info.isDirectory()) return 'directory';
  if (info.isFile()) return 'file';
  if (info.isSymbolicLink()) {
    throw new UnsafePathError(
      root,
      relative,
      'symlink',
      'the result is a symbolic link (left by the container?)',
    );
  }
  throw new UnsafePathError(root, relative, 'not-a-file', `the result is ${describeEntry(info)}`);
}

/** As {@link resultPathKind}, but a missing path is an error (ENOENT) naming it. */
export async function resultEntry(root: string, relative: string): Promise<'file' | 'directory'> {
  const kind = await resultPathKind(root, relative);
  if (kind) return kind;
  const error = new Error(
    `ENOENT: the result ${JSON.stringify(relative)} does not exist in ${root}; did the container write it?`,
  ) as NodeJS.ErrnoException;
  error.code = 'ENOENT';
  throw error;
}

/** A Readable over an open file, read from its start; the handle stays open (the caller closes it). */
function readFrom(handle: FileHandle): Readable {
  return handle.createReadStream({ start: 0, autoClose: false });
}

/** Uploads one open regular file to an item or folder. */
async function uploadOpenFile(
  ctx: TransformContext,
  handle: FileHandle,
  stats: Stats,
  target: { parentType: 'item' | 'folder'; parentId: string; name: string },
): Promise<GirderFile> {
  return girderClientOf(ctx).uploadFile(
    { ...target, size: stats.size, signal: ctx.signal },
    readFrom(handle),
  );
}

/**
 * Uploads the regular file `relative` beneath `root` (opened without following links) to a
 * Girder item or folder, under its base name.
 * @throws UnsafePathError for a link or anything but a regular file
 */
export async function uploadFileBeneath(
  ctx: TransformContext,
  root: string,
  relative: string,
  target: { parentType: 'item' | 'folder'; parentId: string },
): Promise<GirderFile> {
  const { handle, stats } = await openFileBeneath(root, relative);
  try {
    return await uploadOpenFile(ctx, handle, stats, { ...target, name: posix.basename(relative) });
  } finally {
    await handle.close();
  }
}

/**
 * Uploads the folder `relative` beneath `root` into a Girder folder, recursively: sub-folders
 * become folders (reused when they exist), regular files items. Nothing is followed: a symbolic
 * link anywhere inside fails the upload naming it; FIFOs, sockets and devices are skipped (logged).
 */
export async function uploadFolderBeneath(
  ctx: TransformContext,
  root: string,
  relative: string,
  folderId: string,
): Promise<void> {
  const client = girderClientOf(ctx);
  await visitTreeBeneath(
    root,
    relative,
    {
      directory: async (entry, parentId) =>
        (await client.createFolder(parentId, entry.name, { reuseExisting: true, signal: ctx.signal }))._id,
      file: async (entry, parentId) => {
        await uploadOpenFile(ctx, entry.handle, entry.stats, {
          parentType: 'folder',
          parentId,
          name: entry.name,
        });
      },
      skipped: (entry) => ctx.logger.warn('skipped a special file in an uploaded folder', { ...entry, root }),
    },
    folderId,
  );
}

/**
 * Attaches the file `relative` beneath `root`, or every regular file of that folder, to a job as
 * artifacts, read without following links. A missing path attaches nothing.
 * @returns how many artifacts were attached
 * @throws UnsafePathError for a symbolic link at the path or inside the folder
 */
export async function attachJobArtifacts(
  ctx: TransformContext,
  root: string,
  relative: string,
  options: { jobId: string; name: string | undefined },
): Promise<number> {
  const kind = await resultPathKind(root, relative);
  if (!kind) return 0;
  const client = girderClientOf(ctx);
  const attach = (name: string, handle: FileHandle, stats: Stats): Promise<unknown> =>
    client.addJobArtifact(options.jobId, {
      name,
      source: readFrom(handle),
      size: stats.size,
      signal: ctx.signal,
    });
  if (kind === 'file') {
    const { handle, stats } = await openFileBeneath(root, relative);
    try {
      await attach(options.name ?? posix.basename(relative), handle, stats);
    } finally {
      await handle.close();
    }
    return 1;
  }
  let count = 0;
  await visitTreeBeneath(
    root,
    relative,
    {
      directory: async () => undefined,
      file: async (entry) => {
        await attach(entry.name, entry.handle, entry.stats);
        count++;
      },
      skipped: (entry) => ctx.logger.warn('skipped a special file among job artifacts', { ...entry, root }),
    },
    undefined,
  );
  return count;
}
