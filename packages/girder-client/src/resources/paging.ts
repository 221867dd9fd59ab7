import type { Requester, SignalOptions } from '../http/requester.ts';
import { checkInteger } from '../options.ts';

/** Options of a listing. */
export interface ListOptions extends SignalOptions {
  /**
   * Documents per request (`limit`).
   * @default 50 (as girder_client)
   */
  pageSize?: number;
}

/**
 * Pages through a listing route with limit/offset until a short page.
 * @param http - the requester
 * @param path - the listing route
 * @param searchParams - its filters
 * @param options - `signal`, `pageSize`
 * @returns the documents, one at a time, fetched a page at a time as the iteration goes
 * @throws TypeError for a page size below 1 (Girder reads `limit=0` as everything)
 */
export async function* paginate<T>(
  http: Requester,
  path: string,
  searchParams: Record<string, string | number | undefined>,
  options: ListOptions,
): AsyncGenerator<T> {
  const limit = options.pageSize ?? 50;
  // limit=0 means "everything" to Girder: a page size must be positive or paging never ends.
  checkInteger(limit, 'pageSize', 1);
  for (let offset = 0; ; offset += limit) {
    const page = await http.get<T[]>(path, {
      searchParams: { ...searchParams, limit, offset },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    yield* page;
    if (page.length < limit) return;
  }
}

/**
 * Metadata as Girder's create routes take it (a JSON string), or undefined.
 * @param metadata - the metadata object
 * @returns its JSON, or undefined when there is none
 */
export function metadataParam(metadata: Record<string, unknown> | undefined): string | undefined {
  return metadata === undefined ? undefined : JSON.stringify(metadata);
}
