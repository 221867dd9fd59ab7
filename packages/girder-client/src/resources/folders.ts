import type { Requester, SignalOptions } from '../http/requester.ts';
import type { Folder } from '../models.ts';
import { type ListOptions, metadataParam, paginate } from './paging.ts';

/** What a folder can belong to. */
export type FolderParentType = 'folder' | 'user' | 'collection';

/** Which folders {@link Folders.list} lists. */
export interface FolderQuery {
  /** The parent's id. */
  parentId: string;
  /**
   * What the parent is.
   * @default 'folder'
   */
  parentType?: FolderParentType;
  /** Only the folder of this exact name. */
  name?: string;
  /** A text search. */
  text?: string;
}

/** Options of {@link Folders.create}. */
export interface CreateFolderOptions extends SignalOptions {
  /**
   * What the parent is.
   * @default 'folder'
   */
  parentType?: FolderParentType;
  /** Free text. */
  description?: string;
  /** Whether anyone may read it (Girder's default: the parent's). */
  public?: boolean;
  /**
   * Return the existing folder of that name instead of failing.
   * @default false
   */
  reuseExisting?: boolean;
  /** Metadata to set. */
  metadata?: Record<string, unknown>;
}

/** Girder folders (`/folder`). */
export interface Folders {
  /**
   * A folder document (`GET folder/{id}`).
   * @param id - the folder id
   * @param options - `signal`
   * @returns the folder
   * @throws {@link GirderHttpError} 400 for a malformed or unknown id, 401/403 without read access
   */
  get(id: string, options?: SignalOptions): Promise<Folder>;
  /**
   * Every folder under a parent, fetched a page at a time as the iteration goes.
   * @param query - `parentId`, `parentType` (default `folder`), optional `name`/`text` filters
   * @param options - `signal`, `pageSize` (default 50)
   * @returns an async iterable of folders
   * @throws {@link GirderHttpError}, {@link GirderNetworkError} (from the iteration)
   * @example
   * ```ts
   * for await (const folder of client.folders.list({ parentId })) console.log(folder.name);
   * ```
   */
  list(query: FolderQuery, options?: ListOptions): AsyncGenerator<Folder>;
  /**
   * Creates a folder (`POST folder`, never retried); with `reuseExisting`, returns the existing
   * one of that name instead.
   * @param parentId - the parent's id
   * @param name - the folder name
   * @param options - `parentType` (default `folder`), `description`, `public`, `reuseExisting`, `metadata`, `signal`
   * @returns the folder
   * @throws {@link GirderHttpError} 400 `field: "name"` when the name is taken (without `reuseExisting`)
   */
  create(parentId: string, name: string, options?: CreateFolderOptions): Promise<Folder>;
  /**
   * Adds metadata to a folder (`PUT folder/{id}/metadata`); a key set to null is deleted (as in Girder).
   * @param id - the folder id
   * @param metadata - keys to set (null deletes)
   * @param options - `signal`
   * @returns the updated folder
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  addMetadata(id: string, metadata: Record<string, unknown>, options?: SignalOptions): Promise<Folder>;
}

/**
 * The folders resource over a requester.
 * @param http - the client's requester
 * @returns the resource
 */
export function createFolders(http: Requester): Folders {
  return {
    get: (id, options = {}) => http.get<Folder>(`folder/${encodeURIComponent(id)}`, options),
    list: (query, options = {}) =>
      paginate<Folder>(
        http,
        'folder',
        {
          parentType: query.parentType ?? 'folder',
          parentId: query.parentId,
          name: query.name,
          text: query.text,
        },
        options,
      ),
    create: (parentId, name, options = {}) =>
      http.post<Folder>('folder', {
        searchParams: {
          parentType: options.parentType ?? 'folder',
          parentId,
          name,
          description: options.description,
          public: options.public,
          reuseExisting: options.reuseExisting,
          metadata: metadataParam(options.metadata),
        },
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    addMetadata: (id, metadata, options = {}) =>
      http.put<Folder>(`folder/${encodeURIComponent(id)}/metadata`, { json: metadata, ...options }),
  };
}
