import type { Requester, SignalOptions } from '../http/requester.ts';
import type { GirderFile } from '../models.ts';
import { type ListOptions, paginate } from './paging.ts';

/** Girder file documents (`/file`); their bytes move through the client's transfers. */
export interface Files {
  /**
   * A file document (`GET file/{id}`).
   * @param id - the file id
   * @param options - `signal`
   * @returns the file
   * @throws {@link GirderHttpError} 400 for a malformed or unknown id, 403 without read access
   */
  get(id: string, options?: SignalOptions): Promise<GirderFile>;
  /**
   * Every file of an item, fetched a page at a time as the iteration goes.
   * @param itemId - the item id
   * @param options - `signal`, `pageSize` (default 50)
   * @returns an async iterable of files
   * @throws {@link GirderHttpError}, {@link GirderNetworkError} (from the iteration)
   */
  list(itemId: string, options?: ListOptions): AsyncGenerator<GirderFile>;
}

/**
 * The files resource over a requester.
 * @param http - the client's requester
 * @returns the resource
 */
export function createFiles(http: Requester): Files {
  return {
    get: (id, options = {}) => http.get<GirderFile>(`file/${encodeURIComponent(id)}`, options),
    list: (itemId, options = {}) =>
      paginate<GirderFile>(http, `item/${encodeURIComponent(itemId)}/files`, {}, options),
  };
}
