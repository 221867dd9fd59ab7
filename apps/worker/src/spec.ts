import { isAbsolute, resolve } from 'node:path';
import type { DockerRunOptions } from '@girder-worker/docker';
import { girderKinds } from '@girder-worker/girder';
import { pipesKinds } from '@girder-worker/pipes';
import {
  createRegistry,
  isPlainObject,
  revive,
  SpecValidationError,
  type TransformRegistry,
} from '@girder-worker/transforms';

/** Every transform kind a run spec may use: core (transforms), pipes and Girder. */
export const registry: TransformRegistry = createRegistry(pipesKinds, girderKinds);

/** The Girder side of a run: where to report and whose data to use. The token never sits in a spec. */
export interface GirderRunInfo {
  /** API root, e.g. http://localhost:8080/api/v1. */
  apiUrl: string;
  /** The Girder job to keep in step with the run. */
  jobId?: string;
}

/** A run spec after validation: dockerRun's options with live transforms, plus Girder info. */
export interface RunSpec {
  /** Options for dockerRun (transforms revived). */
  options: Pick<
    DockerRunOptions,
    | 'image'
    | 'pullImage'
    | 'entrypoint'
    | 'containerArgs'
    | 'volumes'
    | 'environment'
    | 'workingDir'
    | 'user'
    | 'removeContainer'
    | 'streamConnectors'
    | 'resultHooks'
    | 'createOptions'
    | 'gpus'
  >;
  /** The run's Girder, if any. */
  girder?: GirderRunInfo;
}

const SPEC_FIELDS = new Set([
  'image',
  'pullImage',
  'entrypoint',
  'containerArgs',
  'volumes',
  'environment',
  'workingDir',
  'user',
  'removeContainer',
  'streamConnectors',
  'resultHooks',
  'createOptions',
  'gpus',
  'girder',
]);

/** Host-path fields of transforms that may be given relative to the spec file. */
const HOST_PATH_FIELDS: ReadonlySet<string> = new Set(['hostPath', 'hostDir', 'path']);

/**
 * Makes the relative host paths of a spec's transforms (`hostPath`, `hostDir`, `path` of any
 * `{"$transform": …}` object) absolute against `baseDir`; everything else is copied as is. Done
 * before a spec travels to a worker, whose working directory is elsewhere.
 *
 * @param json - the run spec as JSON
 * @param baseDir - the directory relative paths are taken from (the spec file's directory)
 * @returns a copy of the spec with absolute host paths
 */
export function resolveSpecPaths(json: unknown, baseDir: string): unknown {
  if (Array.isArray(json)) return json.map((v) => resolveSpecPaths(v, baseDir));
  if (!isPlainObject(json)) return json;
  const isTransform = typeof json.$transform === 'string';
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(json)) {
    out[key] =
      isTransform && HOST_PATH_FIELDS.has(key) && typeof v === 'string' && v !== '' && !isAbsolute(v)
        ? resolve(baseDir, v)
        : resolveSpecPaths(v, baseDir);
  }
  return out;
}

/**
 * Validates the Girder part of a run (from a spec's `girder` or a queued job's data).
 * @param value - `{ apiUrl, jobId? }`
 * @param field - its JSON path, for errors
 * @returns the validated info
 * @throws {@link SpecValidationError} naming the field
 */
export function parseGirderInfo(value: unknown, field: string): GirderRunInfo {
  if (!isPlainObject(value) || typeof value.apiUrl !== 'string' || !/^https?:\/\//.test(value.apiUrl)) {
    throw new SpecValidationError(
      `${field}.apiUrl`,
      'an http(s) URL of the Girder API',
      isPlainObject(value) ? value.apiUrl : value,
    );
  }
  if (
    value.jobId !== undefined &&
    (typeof value.jobId !== 'string' || !/^[0-9a-f]{24}$/i.test(value.jobId))
  ) {
    throw new SpecValidationError(`${field}.jobId`, 'a Girder id (24 hex digits)', value.jobId);
  }
  return { apiUrl: value.apiUrl, ...(typeof value.jobId === 'string' ? { jobId: value.jobId } : {}) };
}

/** Options of {@link loadRunSpec}. */
export interface LoadRunSpecOptions {
  /**
   * Directory that relative host paths of transforms are resolved against.
   * @default process.cwd()
   */
  baseDir?: string;
}

/**
 * Validates and revives a run spec (plain JSON, transforms as `{"$transform": …}`) with every
 * kind registered (core, pipes, Girder). Host paths of transforms (`hostPath`, `hostDir`, `path`)
 * given relative are resolved against `baseDir` (the spec file's directory). Unknown fields are
 * refused, so a typo cannot pass silently. Nothing runs and nothing is created.
 *
 * @param json - the parsed spec
 * @param options - `baseDir`
 * @returns dockerRun's options with live transforms, and the spec's Girder, if any
 * @throws {@link SpecValidationError} naming the field (its JSON path), the expectation and what came
 * @example
 * ```ts
 * const spec = loadRunSpec({
 *   image: 'girder-worker-test/busybox:latest',
 *   pullImage: false,
 *   containerArgs: ['cat', { $transform: 'Connect',
 *     input: { $transform: 'HostFileSource', path: 'in.txt' },
 *     output: { $transform: 'NamedInputPipe', name: 'in' } }],
 * }, { baseDir: '/data' });
 * await executeRun(spec);
 * ```
 */
export function loadRunSpec(json: unknown, options: LoadRunSpecOptions = {}): RunSpec {
  if (!isPlainObject(json)) throw new SpecValidationError('', 'a run spec object', json);
  for (const key of Object.keys(json)) {
    if (!SPEC_FIELDS.has(key))
      throw new SpecValidationError(key, `a known field (${[...SPEC_FIELDS].join(', ')})`, key);
  }
  const { girder, ...rest } = json;
  if (isPlainObject(girder) && 'token' in girder)
    throw new SpecValidationError(
      'girder.token',
      'no token in a spec (pass GIRDER_TOKEN, or girderToken at submit)',
      '(hidden)',
    );
  const girderInfo = girder === undefined ? undefined : parseGirderInfo(girder, 'girder');
  const revived = revive(
    resolveSpecPaths(rest, options.baseDir ?? process.cwd()),
    registry,
  ) as RunSpec['options'];
  if (typeof revived.image !== 'string' || revived.image === '')
    throw new SpecValidationError('image', 'an image name', revived.image);
  return { options: revived, ...(girderInfo ? { girder: girderInfo } : {}) };
}
