import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { RequestBody, Requester, SignalOptions } from '../http/requester.ts';
import type { Job } from '../models.ts';
import type { UploadSource } from '../transfers/upload/chunk-sources.ts';

/** Fields {@link Jobs.update} sets. */
export interface JobUpdate {
  /** A JobStatus number. */
  status?: number;
  /** Text appended to the log (or replacing it with `overwrite`). */
  log?: string;
  /** Replace the log instead of appending. */
  overwrite?: boolean;
  /** Progress: the total. */
  progressTotal?: number;
  /** Progress: done so far. */
  progressCurrent?: number;
  /** Progress: a message. */
  progressMessage?: string;
  /** Whether Girder notifies the job's owner. */
  notify?: boolean;
}

/** A job artifact for {@link Jobs.addArtifact}. */
export interface JobArtifact extends SignalOptions {
  /** The artifact's name. */
  name: string;
  /** Its bytes: a file path, a Buffer, or a Readable. */
  source: UploadSource;
  /**
   * Bytes in `source`; required for a Readable.
   * @default the path's or Buffer's size
   */
  size?: number;
  /**
   * The artifact's MIME type.
   * @default 'application/octet-stream'
   */
  mimeType?: string;
}

/** Girder jobs (`/job`, from the jobs plugin). */
export interface Jobs {
  /**
   * A job document (`GET job/{id}`), with its log and progress.
   * @param id - the job id
   * @param options - `signal`
   * @returns the job
   * @throws {@link GirderHttpError} 400 for an unknown id, 401/403 without access
   */
  get(id: string, options?: SignalOptions): Promise<Job>;
  /**
   * Updates a job: appends `log` (or replaces it with `overwrite`), sets `status` and progress.
   * Sent form-encoded, as Girder's `PUT /job/{id}` expects; a job-scoped token is enough.
   * @param id - the job id
   * @param fields - `status`, `log`, `overwrite`, `progressTotal`, `progressCurrent`, `progressMessage`, `notify`
   * @param options - `signal`
   * @returns the job as Girder answers it
   * @throws {@link GirderHttpError} 400 `field: "status"` for an invalid transition
   * @example
   * ```ts
   * await client.jobs.update(jobId, { status: 2, log: 'started\n' });
   * ```
   */
  update(id: string, fields: JobUpdate, options?: SignalOptions): Promise<Job>;
  /**
   * Attaches a file to a job as an artifact: `POST job/{id}/artifact?name=&size=&mimeType=` with
   * the bytes as the body, streamed (girder_worker's `GirderUploadJobArtifact`; a deployment adds
   * that route with a plugin). Sent once, never retried.
   * @param id - the job id
   * @param artifact - `name`, `source` (path, Buffer or Readable), `size` (required for a Readable), `mimeType`, `signal`
   * @returns Girder's answer (the test server answers the stored file document)
   * @throws TypeError for a Readable without `size`
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  addArtifact(id: string, artifact: JobArtifact): Promise<unknown>;
}

async function artifactBody(artifact: JobArtifact): Promise<{ body: RequestBody; size: number }> {
  const { source } = artifact;
  if (typeof source === 'string') {
    const size = artifact.size ?? (await stat(source)).size;
    return { body: Readable.toWeb(createReadStream(source)) as unknown as RequestBody, size };
  }
  if (source instanceof Readable) {
    if (artifact.size === undefined) throw new TypeError('addJobArtifact: a Readable source needs its size');
    return { body: Readable.toWeb(source) as unknown as RequestBody, size: artifact.size };
  }
  return { body: source as RequestBody, size: artifact.size ?? source.byteLength };
}

/**
 * The jobs resource over a requester.
 * @param http - the client's requester
 * @returns the resource
 */
export function createJobs(http: Requester): Jobs {
  return {
    get: (id, options = {}) => http.get<Job>(`job/${encodeURIComponent(id)}`, options),
    update: (id, fields, options = {}) => {
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(fields))
        if (value !== undefined) form.set(key, String(value));
      return http.put<Job>(`job/${encodeURIComponent(id)}`, {
        body: form,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        ...options,
      });
    },
    addArtifact: async (id, artifact) => {
      const { body, size } = await artifactBody(artifact);
      return http.request('POST', `job/${encodeURIComponent(id)}/artifact`, {
        searchParams: {
          name: artifact.name,
          size,
          mimeType: artifact.mimeType ?? 'application/octet-stream',
        },
        body,
        headers: { 'Content-Type': 'application/octet-stream' },
        retry: false,
        ...(artifact.signal ? { signal: artifact.signal } : {}),
      });
    },
  };
}
