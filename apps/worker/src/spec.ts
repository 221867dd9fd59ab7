import { RUN_SPEC_FIELDS, type RunSpecOptions, validateRunSpec } from '@girder-worker/docker';
import { girderKinds } from '@girder-worker/girder';
import { pipesKinds } from '@girder-worker/pipes';
import {
  createRegistry,
  isPlainObject,
  revive,
  SpecValidationError,
  serialize,
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
  /** Options for dockerRun (transforms revived), the fields `RUN_SPEC_FIELDS` names. */
  options: RunSpecOptions;
  /** The run's Girder, if any. */
  girder?: GirderRunInfo;
}

/** The fields of a spec: dockerRun's spec options (from its option table) and `girder`. */
const SPEC_FIELDS: readonly string[] = [...RUN_SPEC_FIELDS, 'girder'];

/** Secrets that never sit in a spec (a spec is stored and queued). */
const GIRDER_SECRETS = ['token', 'apiKey'];

/**
 * Makes the relative host paths of a spec absolute against `baseDir`: the spec is revived with
 * `baseDir` (each transform resolves the fields that are host paths) and written back as JSON.
 * Done before a spec travels to a worker, which refuses relative host paths.
 *
 * @param json - the run spec as JSON
 * @param baseDir - the directory relative paths are taken from (the spec file's directory)
 * @returns the spec as JSON, with absolute host paths
 * @throws {@link SpecValidationError} naming the field, as {@link loadRunSpec}
 */
export function resolveSpecPaths(json: unknown, baseDir: string): unknown {
  const spec = loadRunSpec(json, { baseDir });
  const girder = isPlainObject(json) ? json.girder : undefined;
  return {
    ...(serialize(spec.options) as Record<string, unknown>),
    ...(girder === undefined ? {} : { girder }),
  };
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
  for (const key of Object.keys(value)) {
    if (key !== 'apiUrl' && key !== 'jobId')
      throw new SpecValidationError(`${field}.${key}`, 'apiUrl or jobId', key);
  }
  return { apiUrl: value.apiUrl, ...(typeof value.jobId === 'string' ? { jobId: value.jobId } : {}) };
}

/** Options of {@link loadRunSpec}. */
export interface LoadRunSpecOptions {
  /**
   * Directory that relative host paths of transforms are resolved against (a spec file's). Without
   * it, relative host paths are refused: a queued spec must carry absolute paths, and a worker
   * never resolves them against its own working directory.
   * @default none
   */
  baseDir?: string;
}

/**
 * Validates and revives a run spec (plain JSON, transforms as `{"$transform": …}`) with every
 * kind registered (core, pipes, Girder), then checks its options with dockerRun's own checks, so
 * `run`, `submit` and a worker refuse the same specs. Host paths of transforms given relative are
 * resolved against `baseDir` (the spec file's directory), or refused without one. Unknown fields
 * are refused, so a typo cannot pass silently. Nothing runs and nothing is created.
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
    if (!SPEC_FIELDS.includes(key))
      throw new SpecValidationError(key, `a known field (${SPEC_FIELDS.join(', ')})`, key);
  }
  const { girder, ...rest } = json;
  for (const secret of GIRDER_SECRETS) {
    if (isPlainObject(girder) && secret in girder)
      throw new SpecValidationError(
        `girder.${secret}`,
        `no ${secret === 'token' ? 'token' : 'API key'} in a spec (pass GIRDER_TOKEN, or girderToken at submit)`,
        '(hidden)',
      );
  }
  const girderInfo = girder === undefined ? undefined : parseGirderInfo(girder, 'girder');
  const revived = revive(rest, registry, options.baseDir === undefined ? {} : { baseDir: options.baseDir });
  return { options: validateRunSpec(revived), ...(girderInfo ? { girder: girderInfo } : {}) };
}
