import type { Requester, SignalOptions } from '../http/requester.ts';
import type { Item } from '../models.ts';
import { type ListOptions, metadataParam, paginate } from './paging.ts';

/** Which items {@link Items.list} lists. */
export interface ItemQuery {
  /** The folder's id. */
  folderId: string;
  /** Only the item of this exact name. */
  name?: string;
  /** A text search. */
  text?: string;
}

/** Options of {@link Items.create}. */
export interface CreateItemOptions extends SignalOptions {
  /** Free text. */
  description?: string;
  /**
   * Return the existing item of that name (without it, Girder renames a taken name to "name (1)").
   * @default false
   */
  reuseExisting?: boolean;
  /** Metadata to set. */
  metadata?: Record<string, unknown>;
}

/** Girder items (`/item`). */
export interface Items {
  /**
   * An item document (`GET item/{id}`).
   * @param id - the item id
   * @param options - `signal`
   * @returns the item
   * @throws {@link GirderHttpError} 400 for a malformed or unknown id, 403 without read access
   */
  get(id: string, options?: SignalOptions): Promise<Item>;
  /**
   * Every item of a folder, fetched a page at a time as the iteration goes.
   * @param query - `folderId`, optional `name`/`text` filters
   * @param options - `signal`, `pageSize` (default 50)
   * @returns an async iterable of items
   * @throws {@link GirderHttpError}, {@link GirderNetworkError} (from the iteration)
   */
  list(query: ItemQuery, options?: ListOptions): AsyncGenerator<Item>;
  /**
   * Creates an item (`POST item`, never retried); with `reuseExisting`, returns the existing one
   * of that name instead.
   * @param folderId - the folder's id
   * @param name - the item name
   * @param options - `description`, `reuseExisting`, `metadata`, `signal`
   * @returns the item
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  create(folderId: string, name: string, options?: CreateItemOptions): Promise<Item>;
  /**
   * Adds metadata to an item (`PUT item/{id}/metadata`); a key set to null is deleted (as in Girder).
   * @param id - the item id
   * @param metadata - keys to set (null deletes)
   * @param options - `signal`
   * @returns the updated item
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  addMetadata(id: string, metadata: Record<string, unknown>, options?: SignalOptions): Promise<Item>;
}

/**
 * The items resource over a requester.
 * @param http - the client's requester
 * @returns the resource
 */
export function createItems(http: Requester): Items {
  return {
    get: (id, options = {}) => http.get<Item>(`item/${encodeURIComponent(id)}`, options),
    list: (query, options = {}) =>
      paginate<Item>(http, 'item', { folderId: query.folderId, name: query.name, text: query.text }, options),
    create: (folderId, name, options = {}) =>
      http.post<Item>('item', {
        searchParams: {
          folderId,
          name,
          description: options.description,
          reuseExisting: options.reuseExisting,
          metadata: metadataParam(options.metadata),
        },
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    addMetadata: (id, metadata, options = {}) =>
      http.put<Item>(`item/${encodeURIComponent(id)}/metadata`, { json: metadata, ...options }),
  };
}
