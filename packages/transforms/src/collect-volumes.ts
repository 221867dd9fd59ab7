import { posix } from 'node:path';
import { SpecValidationError, VolumeConflictError } from './errors.ts';
import { fieldPath } from './field-reader.ts';
import { BindMountVolume, TemporaryVolume, type VolumeMode } from './volumes.ts';
import { findTransforms, isPlainObject } from './walk.ts';

/** Docker-py style volumes: `{ "/host/dir": { bind: "/container/dir", mode: "ro" } }`. */
export type DockerVolumeObject = Record<string, { bind: string; mode?: VolumeMode }>;

/** Options of {@link collectVolumes}. */
export interface CollectVolumesOptions {
  /** A list of volumes, or a docker-style object (or undefined). */
  volumes?: readonly BindMountVolume[] | DockerVolumeObject | undefined;
  /** Arguments and hooks: every volume reachable from them is mounted too. */
  discoverIn?: unknown;
  /** The run's default temporary volume, always mounted. */
  temporaryVolume: TemporaryVolume;
}

/** What {@link collectVolumes} found. */
export interface CollectedVolumes {
  /** Docker `HostConfig.Binds` entries. */
  binds: string[];
  /** The volumes, each once (the default placeholder resolved to the run's volume). */
  volumes: BindMountVolume[];
}

/**
 * Turns a docker-style volumes object into volumes, validating every field.
 * @throws {@link SpecValidationError} naming the field
 */
export function volumesFromObject(object: unknown, path = 'volumes'): BindMountVolume[] {
  if (!isPlainObject(object)) throw new SpecValidationError(path, 'an object of { bind, mode }', object);
  return Object.entries(object).map(([hostPath, spec]) => {
    const at = fieldPath(path, hostPath);
    if (!posix.isAbsolute(hostPath))
      throw new SpecValidationError(at, 'an absolute host path as key', hostPath);
    if (!isPlainObject(spec)) throw new SpecValidationError(at, 'an object { bind, mode }', spec);
    for (const key of Object.keys(spec)) {
      if (key !== 'bind' && key !== 'mode') {
        throw new SpecValidationError(
          fieldPath(at, key),
          'no such field on a volume (it has bind, mode)',
          spec[key],
        );
      }
    }
    const bind = spec.bind;
    if (typeof bind !== 'string' || !posix.isAbsolute(bind)) {
      throw new SpecValidationError(fieldPath(at, 'bind'), 'an absolute container path', bind);
    }
    const mode = spec.mode ?? 'rw';
    if (mode !== 'rw' && mode !== 'ro')
      throw new SpecValidationError(fieldPath(at, 'mode'), '"rw" | "ro"', mode);
    return new BindMountVolume(hostPath, bind, mode);
  });
}

/**
 * Docker binds for a run: the given volumes (list or docker-style object), every volume reachable
 * from `discoverIn`, and the run's temporary volume — each once.
 * @throws {@link VolumeConflictError} when two volumes claim one container path
 */
export function collectVolumes(options: CollectVolumesOptions): CollectedVolumes {
  const given =
    options.volumes === undefined
      ? []
      : Array.isArray(options.volumes)
        ? options.volumes.map((v, i) => {
            if (!(v instanceof BindMountVolume))
              throw new SpecValidationError(fieldPath('volumes', i), 'a volume', v);
            return v;
          })
        : volumesFromObject(options.volumes);
  const discovered = findTransforms(options.discoverIn).filter((t) => t instanceof BindMountVolume);
  const volumes: BindMountVolume[] = [];
  const byContainerPath = new Map<string, BindMountVolume>();
  for (const candidate of [options.temporaryVolume, ...given, ...discovered]) {
    const volume =
      candidate instanceof TemporaryVolume && candidate.isDefault ? options.temporaryVolume : candidate;
    if (volumes.includes(volume)) continue;
    const key = posix.normalize(volume.containerPath).replace(/(.)\/+$/, '$1');
    const other = byContainerPath.get(key);
    if (other) {
      if (other.hostPath === volume.hostPath && other.mode === volume.mode) continue;
      throw new VolumeConflictError(key, other.hostPath, volume.hostPath);
    }
    byContainerPath.set(key, volume);
    volumes.push(volume);
  }
  return { binds: volumes.map((v) => v.bind()), volumes };
}
