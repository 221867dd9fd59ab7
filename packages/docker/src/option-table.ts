import { hasConnector } from '@girder-worker/pipes';
import {
  BindMountVolume,
  isPlainObject,
  Services,
  Transform,
  volumesFromObject,
} from '@girder-worker/transforms';
import {
  checkAbsolutePath,
  checkArray,
  checkBoolean,
  checkInstance,
  checkStringOrList,
  fail,
} from './checks.ts';
import { checkCreateOptions } from './create-options.ts';
import type { DockerRunEvent } from './events.ts';
import { isImageReference } from './image-reference.ts';
import type { DockerRunOptions, NormalizedDockerRunOptions, RunDefaults } from './options.ts';
import { parseRunPolicy } from './policy.ts';
import { parsePullPolicy } from './pull.ts';
import { parseRegistryAuth, type RegistryCredentials } from './registry/credentials.ts';
import { checkResources } from './resources.ts';

/** The options a run spec (plain JSON from a file or a queue) may carry; the rest are the caller's. */
export type RunSpecField =
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
  | 'resources'
  | 'timeoutMs'
  | 'gpus';

/** One option: whether a spec may carry it, its default, and its validation. */
interface OptionRow<T, InSpec extends boolean> {
  /** Whether a run spec may carry it (see {@link RunSpecField}). */
  readonly inSpec: InSpec;
  /** Asked for even when absent (`check` then sees undefined). */
  readonly required?: true;
  /** The value when absent. */
  readonly fallback: T;
  /** Validates a present value, naming `path` in errors; returns the normalized value. */
  readonly check: (value: unknown, path: string) => T;
}

/** The table's type: one row per option of {@link DockerRunOptions}, typed by its normalized value. */
export type OptionTable = {
  readonly [K in keyof NormalizedDockerRunOptions]-?: OptionRow<
    NormalizedDockerRunOptions[K],
    K extends RunSpecField ? true : false
  >;
};

// The table and the documented options have the same keys, or this does not compile.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const sameKeys: SameKeys<DockerRunOptions, NormalizedDockerRunOptions> = true;
void sameKeys;

const optional = <T>(check: (value: unknown, path: string) => T): OptionRow<T | undefined, false> => ({
  inSpec: false,
  fallback: undefined,
  check,
});

function checkImage(value: unknown, path: string): string {
  if (typeof value !== 'string' || !isImageReference(value))
    fail(path, 'an image name such as "alpine:3"', value);
  return value;
}

function checkName(value: unknown, path: string, expected: string): string {
  return typeof value === 'string' && value !== '' ? value : fail(path, expected, value);
}

function checkVolumes(value: unknown, path: string): BindMountVolume[] {
  if (!Array.isArray(value)) return volumesFromObject(value, path);
  return value.map((v, i) =>
    v instanceof BindMountVolume ? v : fail(`${path}[${i}]`, 'a Volume instance', v),
  );
}

function checkEnvironment(value: unknown, path: string): Readonly<Record<string, unknown>> {
  if (!isPlainObject(value)) fail(path, 'an object of variables', value);
  for (const key of Object.keys(value)) {
    if (key === '' || key.includes('=')) fail(`${path}.${key}`, 'a variable name without "="', key);
  }
  return value;
}

function checkArguments(value: unknown, path: string): readonly unknown[] {
  return checkArray(value, path).map((v, i) =>
    v instanceof Transform || ['string', 'number', 'boolean', 'bigint'].includes(typeof v)
      ? v
      : fail(`${path}[${i}]`, 'a string (or a transform giving one)', v),
  );
}

function checkConnectors(value: unknown, path: string): readonly unknown[] {
  return checkArray(value, path).map((v, i) =>
    v instanceof Transform && hasConnector(v)
      ? v
      : fail(`${path}[${i}]`, 'a stream connector transform (Connect, ProgressPipe, …)', v),
  );
}

function checkGpus(value: unknown, path: string): boolean | number {
  if (typeof value === 'boolean' || (Number.isInteger(value) && (value as number) > 0))
    return value as boolean | number;
  return fail(path, 'true, false or a positive count', value);
}

function checkFunction<T>(value: unknown, path: string): T {
  return typeof value === 'function' ? (value as T) : fail(path, 'a function', value);
}

function checkObject<T>(value: unknown, path: string, expected: string): T {
  return typeof value === 'object' && value !== null ? (value as T) : fail(path, expected, value);
}

function checkCredentials(value: unknown, path: string): RegistryCredentials {
  return typeof value === 'function' ? (value as RegistryCredentials) : parseRegistryAuth(value, path);
}

function checkDefaults(value: unknown, path: string): RunDefaults {
  if (!isPlainObject(value)) fail(path, 'an object { createOptions?, volumes? }', value);
  for (const key of Object.keys(value)) {
    if (key !== 'createOptions' && key !== 'volumes') fail(`${path}.${key}`, 'createOptions or volumes', key);
  }
  return {
    ...(value.createOptions === undefined
      ? {}
      : { createOptions: checkCreateOptions(value.createOptions, `${path}.createOptions`) }),
    ...(value.volumes === undefined ? {} : { volumes: checkVolumes(value.volumes, `${path}.volumes`) }),
  };
}

/**
 * Every option of dockerRun: whether a spec may carry it, its default, and its check. The one
 * place options are described for validation, defaults and the app's spec fields.
 */
export const OPTION_TABLE: OptionTable = {
  image: { inSpec: true, required: true, fallback: '', check: checkImage },
  pullImage: { inSpec: true, fallback: 'always', check: parsePullPolicy },
  registryAuth: optional(checkCredentials),
  entrypoint: { inSpec: true, fallback: undefined, check: checkStringOrList },
  containerArgs: { inSpec: true, fallback: [], check: checkArguments },
  volumes: { inSpec: true, fallback: [], check: checkVolumes },
  environment: { inSpec: true, fallback: {}, check: checkEnvironment },
  workingDir: { inSpec: true, fallback: undefined, check: checkAbsolutePath },
  user: {
    inSpec: true,
    fallback: undefined,
    check: (v, p) => checkName(v, p, 'a user name or uid[:gid]'),
  },
  removeContainer: { inSpec: true, fallback: true, check: checkBoolean },
  streamConnectors: { inSpec: true, fallback: [], check: checkConnectors },
  resultHooks: { inSpec: true, fallback: [], check: checkArray },
  createOptions: { inSpec: true, fallback: {}, check: checkCreateOptions },
  resources: { inSpec: true, fallback: {}, check: checkResources },
  timeoutMs: {
    inSpec: true,
    fallback: undefined,
    check: (v, p) =>
      Number.isSafeInteger(v) && (v as number) > 0
        ? (v as number)
        : fail(p, 'a number of milliseconds > 0', v),
  },
  gpus: { inSpec: true, fallback: false, check: checkGpus },
  signal: optional((v, p) => checkInstance(v, p, AbortSignal, 'an AbortSignal')),
  docker: optional((v, p) => checkObject(v, p, 'a Dockerode instance')),
  logger: optional((v, p) => checkObject(v, p, 'a logger { debug, info, warn, error }')),
  reporter: optional((v, p) => checkObject(v, p, 'a reporter { log, progress }')),
  onEvent: optional((v, p) => checkFunction<(event: DockerRunEvent) => void>(v, p)),
  services: optional((v, p) => checkInstance(v, p, Services, 'a Services instance')),
  stopGraceMs: {
    inSpec: false,
    fallback: 10_000,
    check: (v, p) =>
      typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(p, 'a number of milliseconds >= 0', v),
  },
  temporaryVolumeRoot: optional(checkAbsolutePath),
  runId: optional((v, p) => checkName(v, p, 'a non-empty string')),
  workerId: optional((v, p) => checkName(v, p, 'a non-empty string')),
  permissionsHelperImage: optional(checkImage),
  defaults: { inSpec: false, fallback: {}, check: checkDefaults },
  policy: optional(parseRunPolicy),
};

/** The option names a run spec may carry, in the table's order. */
export const RUN_SPEC_FIELDS: readonly RunSpecField[] = Object.freeze(
  (Object.keys(OPTION_TABLE) as (keyof OptionTable)[]).filter(
    (key): key is RunSpecField => OPTION_TABLE[key].inSpec,
  ),
);
