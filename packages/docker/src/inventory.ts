import { posix } from 'node:path';
import {
  type ConnectorProvider,
  HostFileSink,
  HostFileSource,
  hasConnector,
  NamedPipeBase,
} from '@girder-worker/pipes';
import {
  BindMountVolume,
  fieldPath,
  findTransforms,
  isPlainObject,
  TemporaryVolume,
  Transform,
} from '@girder-worker/transforms';
import { fail } from './checks.ts';
import type { NormalizedDockerRunOptions } from './options.ts';

/** A host path a spec names, with the JSON path of its field (for the policy). */
export interface HostPathUse {
  /** The host path. */
  readonly path: string;
  /** Where it sits in the options, e.g. `volumes[0].hostPath`. */
  readonly field: string;
}

/** Everything dockerRun needs to know about a run's transforms, from one walk of its options. */
export interface RunInventory {
  /** Every transform reachable from the options, each once, a holder after what it holds. */
  readonly transforms: readonly Transform[];
  /** The connectors to drive: providers found in `containerArgs` and `streamConnectors`. */
  readonly providers: readonly (Transform & ConnectorProvider)[];
  /** Volumes reachable from arguments, environment, connectors and hooks (mounted too). */
  readonly discoveredVolumes: readonly BindMountVolume[];
  /** Temporary volumes of the run other than its default one. */
  readonly temporaryVolumes: readonly TemporaryVolume[];
  /** Transforms of the result hooks (cleaned after the arguments'). */
  readonly hookTransforms: readonly Transform[];
  /** Host paths the spec names (not the deployment's default volumes). */
  readonly hostPaths: readonly HostPathUse[];
}

function checkVolume(volume: BindMountVolume, at: string): void {
  if (volume instanceof TemporaryVolume) {
    if (volume.hostDir?.includes(':'))
      fail(fieldPath(at, 'hostDir'), 'a host path without ":"', volume.hostDir);
    return;
  }
  if (volume.hostPath.includes(':'))
    fail(
      fieldPath(at, 'hostPath'),
      'a host path without ":" (Docker binds cannot carry it)',
      volume.hostPath,
    );
  if (volume.containerPath.includes(':'))
    fail(fieldPath(at, 'containerPath'), 'a container path without ":"', volume.containerPath);
  if (posix.normalize(volume.containerPath) === '/')
    fail(fieldPath(at, 'containerPath'), 'a container path other than "/"', volume.containerPath);
}

function hostPathsOf(transform: Transform, at: string): HostPathUse[] {
  if (transform instanceof TemporaryVolume)
    return transform.hostDir === undefined
      ? []
      : [{ path: transform.hostDir, field: fieldPath(at, 'hostDir') }];
  if (transform instanceof BindMountVolume)
    return [{ path: transform.hostPath, field: fieldPath(at, 'hostPath') }];
  if (transform instanceof HostFileSource || transform instanceof HostFileSink)
    return [{ path: transform.path, field: fieldPath(at, 'path') }];
  if (transform instanceof NamedPipeBase && transform.hostDir !== undefined)
    return [{ path: transform.hostDir, field: fieldPath(at, 'hostPath') }];
  return [];
}

/**
 * Walks the options once: finds every transform (with its JSON path), checks volumes (`:` in
 * paths, container path `/`), and sorts out connectors, volumes, temporary volumes, hook
 * transforms and the host paths the spec names.
 * @throws `SpecValidationError` naming the field
 */
export function takeInventory(options: NormalizedDockerRunOptions): RunInventory {
  const transforms: Transform[] = [];
  const seen = new Set<unknown>();
  const found = { providers: [] as (Transform & ConnectorProvider)[], volumes: [] as BindMountVolume[] };
  const hostPaths: HostPathUse[] = [];
  const trusted = new Set<unknown>(options.defaults.volumes ?? []);
  const visit = (value: unknown, at: string, root: string): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Transform) {
      for (const [key, field] of Object.entries(value.toJSON())) visit(field, fieldPath(at, key), root);
      transforms.push(value);
      if (value instanceof BindMountVolume && !(value instanceof TemporaryVolume && value.isDefault)) {
        checkVolume(value, at);
        if (root !== 'volumes') found.volumes.push(value);
      }
      if ((root === 'containerArgs' || root === 'streamConnectors') && hasConnector(value))
        found.providers.push(value as Transform & ConnectorProvider);
      if (!trusted.has(value)) hostPaths.push(...hostPathsOf(value, at));
    } else if (Array.isArray(value)) {
      for (const [i, element] of value.entries()) visit(element, fieldPath(at, i), root);
    } else if (isPlainObject(value)) {
      for (const [key, field] of Object.entries(value)) visit(field, fieldPath(at, key), root);
    }
  };
  visit(options.volumes, 'volumes', 'volumes');
  visit(options.containerArgs, 'containerArgs', 'containerArgs');
  visit(options.environment, 'environment', 'environment');
  visit(options.streamConnectors, 'streamConnectors', 'streamConnectors');
  visit(options.resultHooks, 'resultHooks', 'resultHooks');
  return {
    transforms,
    providers: found.providers,
    discoveredVolumes: found.volumes,
    temporaryVolumes: transforms.filter(
      (t): t is TemporaryVolume => t instanceof TemporaryVolume && !t.isDefault,
    ),
    // A hook may share a transform with the arguments: collect the hooks' own, each of them.
    hookTransforms: findTransforms(options.resultHooks),
    hostPaths,
  };
}
