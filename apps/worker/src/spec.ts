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

/** Every transform kind a run spec may use: core, pipes and Girder. */
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
const HOST_PATH_FIELDS = ['hostPath', 'hostDir', 'path'];

function resolveHostPaths(value: unknown, baseDir: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveHostPaths(v, baseDir));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      typeof value.$transform === 'string' &&
      HOST_PATH_FIELDS.includes(key) &&
      typeof v === 'string' &&
      v !== '' &&
      !isAbsolute(v)
        ? resolve(baseDir, v)
        : resolveHostPaths(v, baseDir);
  }
  return out;
}

/**
 * Validates and revives a run spec (plain JSON, transforms as `{"$transform": …}`). Host paths of
 * transforms (`hostPath`, `hostDir`, `path`) given relative are resolved against `baseDir`
 * (the spec file's directory). Unknown fields are refused, so a typo cannot pass silently.
 *
 * @throws {@link SpecValidationError} naming the field
 */
export function loadRunSpec(json: unknown, options: { baseDir?: string } = {}): RunSpec {
  if (!isPlainObject(json)) throw new SpecValidationError('', 'a run spec object', json);
  for (const key of Object.keys(json)) {
    if (!SPEC_FIELDS.has(key))
      throw new SpecValidationError(key, `a known field (${[...SPEC_FIELDS].join(', ')})`, key);
  }
  const { girder, ...rest } = json;
  let girderInfo: GirderRunInfo | undefined;
  if (girder !== undefined) {
    if (!isPlainObject(girder) || typeof girder.apiUrl !== 'string' || !/^https?:\/\//.test(girder.apiUrl)) {
      throw new SpecValidationError(
        'girder.apiUrl',
        'an http(s) URL of the Girder API',
        isPlainObject(girder) ? girder.apiUrl : girder,
      );
    }
    if ('token' in girder)
      throw new SpecValidationError(
        'girder.token',
        'no token in a spec (pass GIRDER_TOKEN or job data)',
        '(hidden)',
      );
    if (
      girder.jobId !== undefined &&
      (typeof girder.jobId !== 'string' || !/^[0-9a-f]{24}$/i.test(girder.jobId))
    ) {
      throw new SpecValidationError('girder.jobId', 'a Girder id (24 hex digits)', girder.jobId);
    }
    girderInfo = {
      apiUrl: girder.apiUrl,
      ...(typeof girder.jobId === 'string' ? { jobId: girder.jobId } : {}),
    };
  }
  const revived = revive(
    resolveHostPaths(rest, options.baseDir ?? process.cwd()),
    registry,
  ) as RunSpec['options'];
  if (typeof revived.image !== 'string' || revived.image === '')
    throw new SpecValidationError('image', 'an image name', revived.image);
  return { options: revived, ...(girderInfo ? { girder: girderInfo } : {}) };
}
