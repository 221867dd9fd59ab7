import {
  BindMountVolume,
  type DockerVolumeObject,
  isPlainObject,
  type Logger,
  type Reporter,
  Services,
  SpecValidationError,
  volumesFromObject,
} from '@girder-worker/transforms';
import type Docker from 'dockerode';
import type { DockerRunEvent } from './events.ts';

/** Options of {@link dockerRun}. */
export interface DockerRunOptions {
  /** The image to run, e.g. `girder-worker-test/busybox:latest`. */
  image: string;
  /**
   * Pull the image first (as girder_worker does). When false the image must be present.
   * @default true
   */
  pullImage?: boolean;
  /** Replaces the image's entrypoint (a string is one executable). @default the image's */
  entrypoint?: string | readonly string[];
  /** Arguments of the entrypoint; transforms may appear anywhere inside. @default [] */
  containerArgs?: readonly unknown[];
  /** Volumes to mount: Volume instances and/or a docker-style object `{ host: { bind, mode } }`. */
  volumes?: readonly BindMountVolume[] | DockerVolumeObject;
  /** Environment variables; values may be transforms (e.g. a VolumePath). */
  environment?: Readonly<Record<string, unknown>>;
  /** Working directory in the container. */
  workingDir?: string;
  /** User (name or uid[:gid]) in the container. */
  user?: string;
  /** Remove the container after the run. @default true */
  removeContainer?: boolean;
  /** Connectors to drive besides the `Connect` arguments (e.g. a `ProgressPipe`). */
  streamConnectors?: readonly unknown[];
  /** Result hooks, run after a successful exit (phase `result`). */
  resultHooks?: readonly unknown[];
  /** Cancels the run: the container is stopped, then killed after `stopGraceMs`. */
  signal?: AbortSignal;
  /** The Docker client. @default new Dockerode() (DOCKER_HOST or the local socket; DOCKER_CLIENT_TIMEOUT) */
  docker?: Docker;
  /** @default silent */
  logger?: Logger;
  /**
   * Where container output lines and progress go. Without one, container stdout/stderr are
   * written to this process's stdout/stderr.
   */
  reporter?: Reporter;
  /** Called on pull progress, created, started, exited, stream bytes. */
  onEvent?: (event: DockerRunEvent) => void;
  /** Services handed to transforms (e.g. `girder`). */
  services?: Services;
  /** Grace period between stop and kill when cancelled, in milliseconds. @default 10000 */
  stopGraceMs?: number;
  /** Host directory for the run's temporary volume. @default os.tmpdir() */
  temporaryVolumeRoot?: string;
  /** Run id (labels, logs). @default a random UUID */
  runId?: string;
  /** Worker id label. @default GW_WORKER_ID, else `<hostname>-<pid>` */
  workerId?: string;
  /** Ask for GPUs (all of them with `true`, or a count). @default false (unless the image asks) */
  gpus?: boolean | number;
  /**
   * Image for the helper that makes root-written files removable when this process is not root.
   * @default the run's image
   */
  permissionsHelperImage?: string;
  /**
   * Docker create options passed through (network mode, memory, CPUs, shm size, labels…, as in
   * the Engine API: `{ HostConfig: { NetworkMode: 'host', ShmSize: … } }`). Tty, attach and
   * binds cannot be overridden.
   */
  createOptions?: Docker.ContainerCreateOptions;
}

/** Options after validation and defaults. */
export interface NormalizedDockerRunOptions {
  image: string;
  pullImage: boolean;
  entrypoint: string[] | undefined;
  containerArgs: readonly unknown[];
  volumes: BindMountVolume[];
  environment: Readonly<Record<string, unknown>>;
  workingDir: string | undefined;
  user: string | undefined;
  removeContainer: boolean;
  streamConnectors: readonly unknown[];
  resultHooks: readonly unknown[];
  stopGraceMs: number;
  temporaryVolumeRoot: string | undefined;
  gpus: boolean | number;
  createOptions: Docker.ContainerCreateOptions;
}

function fail(path: string, expected: string, received: unknown): never {
  throw new SpecValidationError(path, expected, received);
}

function stringArray(value: unknown, path: string): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    fail(path, 'a string or an array of strings', value);
  return [...value];
}

/**
 * Parses the `host:container[:mode]` volume shorthand of GIRDER_WORKER_DOCKER_RUN_OPTIONS.
 * @throws {@link SpecValidationError}
 */
export function parseVolumeShorthand(spec: string, path: string): BindMountVolume {
  const [host, container, mode = 'rw', ...rest] = spec.split(':');
  if (!host || !container || rest.length > 0 || (mode !== 'rw' && mode !== 'ro')) {
    fail(path, '"host:container[:ro|rw]" with absolute paths', spec);
  }
  return new BindMountVolume(host, container, mode);
}

/**
 * Defaults from the environment, as girder_worker reads them: GIRDER_WORKER_DOCKER_RUN_OPTIONS is
 * JSON of create options, where `volumes` may list `host:container[:mode]` strings.
 */
export function environmentDefaults(env: NodeJS.ProcessEnv = process.env): {
  createOptions: Docker.ContainerCreateOptions;
  volumes: BindMountVolume[];
} {
  const raw = env.GIRDER_WORKER_DOCKER_RUN_OPTIONS;
  if (!raw) return { createOptions: {}, volumes: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('GIRDER_WORKER_DOCKER_RUN_OPTIONS', 'JSON', raw);
  }
  if (!isPlainObject(parsed)) fail('GIRDER_WORKER_DOCKER_RUN_OPTIONS', 'a JSON object', parsed);
  const { volumes, ...createOptions } = parsed;
  const list =
    volumes === undefined
      ? []
      : Array.isArray(volumes)
        ? volumes
        : fail('GIRDER_WORKER_DOCKER_RUN_OPTIONS.volumes', 'an array', volumes);
  return {
    createOptions: createOptions as Docker.ContainerCreateOptions,
    volumes: list.map((v, i) =>
      typeof v === 'string'
        ? parseVolumeShorthand(v, `GIRDER_WORKER_DOCKER_RUN_OPTIONS.volumes[${i}]`)
        : fail(`GIRDER_WORKER_DOCKER_RUN_OPTIONS.volumes[${i}]`, 'a "host:container[:mode]" string', v),
    ),
  };
}

const FORBIDDEN_CREATE = [
  'Tty',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'OpenStdin',
  'StdinOnce',
  'Volumes',
] as const;

/**
 * Validates every option and applies defaults, before anything starts.
 * @throws {@link SpecValidationError} naming the option, what was expected and what came
 */
export function normalizeOptions(options: DockerRunOptions): NormalizedDockerRunOptions {
  if (!isPlainObject(options)) fail('', 'an options object', options);
  const o = options;
  if (typeof o.image !== 'string' || o.image.trim() === '')
    fail('image', 'an image name such as "alpine:3"', o.image);
  if (o.pullImage !== undefined && typeof o.pullImage !== 'boolean')
    fail('pullImage', 'true or false', o.pullImage);
  if (o.removeContainer !== undefined && typeof o.removeContainer !== 'boolean')
    fail('removeContainer', 'true or false', o.removeContainer);
  if (o.containerArgs !== undefined && !Array.isArray(o.containerArgs))
    fail('containerArgs', 'an array', o.containerArgs);
  if (o.streamConnectors !== undefined && !Array.isArray(o.streamConnectors))
    fail('streamConnectors', 'an array', o.streamConnectors);
  if (o.resultHooks !== undefined && !Array.isArray(o.resultHooks))
    fail('resultHooks', 'an array', o.resultHooks);
  if (o.environment !== undefined && !isPlainObject(o.environment))
    fail('environment', 'an object of variables', o.environment);
  for (const key of Object.keys(o.environment ?? {})) {
    if (key === '' || key.includes('=')) fail(`environment.${key}`, 'a variable name without "="', key);
  }
  if (o.workingDir !== undefined && (typeof o.workingDir !== 'string' || !o.workingDir.startsWith('/')))
    fail('workingDir', 'an absolute path', o.workingDir);
  if (o.user !== undefined && (typeof o.user !== 'string' || o.user === ''))
    fail('user', 'a user name or uid[:gid]', o.user);
  if (o.stopGraceMs !== undefined && !(Number.isFinite(o.stopGraceMs) && o.stopGraceMs >= 0))
    fail('stopGraceMs', 'a number of milliseconds >= 0', o.stopGraceMs);
  if (o.gpus !== undefined && typeof o.gpus !== 'boolean' && !(Number.isInteger(o.gpus) && o.gpus > 0))
    fail('gpus', 'true, false or a positive count', o.gpus);
  if (
    o.temporaryVolumeRoot !== undefined &&
    (typeof o.temporaryVolumeRoot !== 'string' || !o.temporaryVolumeRoot.startsWith('/'))
  ) {
    fail('temporaryVolumeRoot', 'an absolute path', o.temporaryVolumeRoot);
  }
  if (o.services !== undefined && !(o.services instanceof Services))
    fail('services', 'a Services instance', o.services);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    fail('signal', 'an AbortSignal', o.signal);
  if (o.createOptions !== undefined && !isPlainObject(o.createOptions))
    fail('createOptions', 'an object of Docker create options', o.createOptions);
  for (const key of FORBIDDEN_CREATE) {
    if (o.createOptions && key in o.createOptions)
      fail(
        `createOptions.${key}`,
        'not set (dockerRun manages it)',
        (o.createOptions as Record<string, unknown>)[key],
      );
  }
  const binds = (o.createOptions?.HostConfig as Docker.HostConfig | undefined)?.Binds;
  if (binds !== undefined) {
    fail('createOptions.HostConfig.Binds', 'not set (use volumes)', binds);
  }
  const env = environmentDefaults();
  let volumes: BindMountVolume[] = [];
  if (Array.isArray(o.volumes)) {
    volumes = o.volumes.map((v, i) =>
      v instanceof BindMountVolume ? v : fail(`volumes[${i}]`, 'a Volume instance', v),
    );
  } else if (o.volumes !== undefined) {
    volumes = volumesFromObject(o.volumes, 'volumes');
  }
  const createOptions = { ...env.createOptions, ...o.createOptions };
  if (env.createOptions.HostConfig && o.createOptions?.HostConfig) {
    createOptions.HostConfig = { ...env.createOptions.HostConfig, ...o.createOptions.HostConfig };
  }
  return {
    image: o.image,
    pullImage: o.pullImage ?? true,
    entrypoint: o.entrypoint === undefined ? undefined : stringArray(o.entrypoint, 'entrypoint'),
    containerArgs: o.containerArgs ?? [],
    volumes: [...env.volumes, ...volumes],
    environment: o.environment ?? {},
    workingDir: o.workingDir,
    user: o.user,
    removeContainer: o.removeContainer ?? true,
    streamConnectors: o.streamConnectors ?? [],
    resultHooks: o.resultHooks ?? [],
    stopGraceMs: o.stopGraceMs ?? 10_000,
    temporaryVolumeRoot: o.temporaryVolumeRoot,
    gpus: o.gpus ?? false,
    createOptions,
  };
}
