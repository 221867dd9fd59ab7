import { CeleryProtocolError } from './errors.ts';

/** Where and how a task reports to its Girder job (the `jobInfoSpec` header Girder sets). */
export interface JobInfoSpec {
  /** HTTP method of the updates (`PUT`). */
  method: string;
  /** The job's URL, `<api>/job/<jobId>`. */
  url: string;
  /** The job id. */
  reference: string | undefined;
  /** Headers of the updates: `Girder-Token`, a token scoped to this job (never logged). */
  headers: Readonly<Record<string, string>>;
  /** Whether the task's output goes to the job log. */
  logPrint: boolean;
}

function plain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const KNOWN = new Set(['method', 'url', 'reference', 'headers', 'logPrint']);

/**
 * Reads a `jobInfoSpec` header.
 * @param value - the header value
 * @param path - its path, for errors
 * @returns the spec
 * @throws {@link CeleryProtocolError} naming the field
 */
export function parseJobInfoSpec(value: unknown, path = 'headers.jobInfoSpec'): JobInfoSpec {
  if (!plain(value))
    throw new CeleryProtocolError(path, 'expected an object { method, url, headers, reference }');
  for (const key of Object.keys(value)) {
    if (!KNOWN.has(key)) throw new CeleryProtocolError(`${path}.${key}`, `unknown field '${key}'`);
  }
  const method = value.method ?? 'PUT';
  if (typeof method !== 'string' || !/^(PUT|POST|PATCH)$/i.test(method)) {
    throw new CeleryProtocolError(`${path}.method`, 'expected PUT, POST or PATCH');
  }
  if (typeof value.url !== 'string' || !/^https?:\/\//.test(value.url)) {
    throw new CeleryProtocolError(`${path}.url`, 'expected the http(s) URL of the Girder job');
  }
  const headers: Record<string, string> = {};
  if (value.headers !== undefined && value.headers !== null) {
    if (!plain(value.headers))
      throw new CeleryProtocolError(`${path}.headers`, 'expected an object of strings');
    for (const [key, item] of Object.entries(value.headers)) {
      if (typeof item !== 'string')
        throw new CeleryProtocolError(`${path}.headers.${key}`, 'expected a string');
      headers[key] = item;
    }
  }
  const reference = value.reference;
  if (reference !== undefined && reference !== null && typeof reference !== 'string') {
    throw new CeleryProtocolError(`${path}.reference`, 'expected the job id');
  }
  return {
    method: method.toUpperCase(),
    url: value.url,
    reference: reference ?? undefined,
    headers,
    logPrint: value.logPrint === undefined ? true : value.logPrint === true,
  };
}
