import type {
  BindMountVolume,
  DockerVolumeObject,
  Logger,
  Reporter,
  Services,
} from '@girder-worker/transforms';
import type Docker from 'dockerode';
import type { DockerRunEvent } from './events.ts';
import type { RunPolicy } from './policy.ts';
import type { PullImageOption, PullPolicy } from './pull.ts';
import type { RegistryCredentials } from './registry/credentials.ts';
import type { RunResources } from './resources.ts';

/**
 * Options of {@link dockerRun}. Each field is described once more, as a validator with its
 * default, in `option-table.ts`; the compiler keeps the two in step (a field without a row, or a
 * row of the wrong type, does not build). Unknown keys are refused.
 */
export interface DockerRunOptions {
  /** The image to run, e.g. `girder-worker-test/busybox:latest` (a Docker image reference). */
  image: string;
  /**
   * When to pull the image: `true` or `'always'` (as girder_worker does), `'if-not-present'`
   * (only when it is missing), `false` or `'never'` (it must be present). Concurrent runs of one
   * missing image pull it once.
   * @default true
   */
  pullImage?: PullImageOption;
  /**
   * Registry credentials for the pull: fixed ones (`{ username, password, serveraddress }`, sent
   * only to that registry), or a resolver such as `dockerConfigCredentials()` (the worker's
   * `~/.docker/config.json` and its credential helpers). Never logged, never part of a spec.
   * @default none (anonymous pulls)
   */
  registryAuth?: RegistryCredentials;
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
  /**
   * Resource limits, typed: memory, memory+swap, CPUs, process limit, `/dev/shm` size, ulimits
   * (each may be given here or in `createOptions.HostConfig`, not both).
   * @default none (the engine's defaults)
   */
  resources?: RunResources;
  /**
   * Longest time the container may run, from its start, in milliseconds: then it is stopped
   * (with `stopGraceMs`), everything is cleaned up, and the run fails with a `RunTimeoutError`.
   * @default no limit
   */
  timeoutMs?: number;
  /**
   * Defaults of the deployment, under the run's own options: create options merged beneath
   * `createOptions` and volumes mounted before `volumes`. The library reads no environment
   * variable for them; `environmentDefaults(process.env)` reads girder_worker's
   * `GIRDER_WORKER_DOCKER_RUN_OPTIONS`.
   * @default none
   */
  defaults?: RunDefaults;
  /**
   * What the run may do, checked on the planned container before anything starts (for specs
   * from a queue): allowed images and host paths, forbidden Engine options, enforced settings.
   * See `parseRunPolicy`.
   * @default no policy (the caller is trusted)
   */
  policy?: RunPolicy;
}

/** Deployment defaults for {@link DockerRunOptions.defaults} (see `environmentDefaults`). */
export interface RunDefaults {
  /** Create options beneath the run's own (`HostConfig` merged key by key). */
  createOptions?: Docker.ContainerCreateOptions;
  /** Volumes mounted in every run, before the run's own. */
  volumes?: readonly BindMountVolume[];
}

/** The options of a run after validation and defaults (what the rest of the package reads). */
export interface NormalizedDockerRunOptions {
  image: string;
  pullImage: PullPolicy;
  registryAuth: RegistryCredentials | undefined;
  entrypoint: string[] | undefined;
  containerArgs: readonly unknown[];
  volumes: BindMountVolume[];
  environment: Readonly<Record<string, unknown>>;
  workingDir: string | undefined;
  user: string | undefined;
  removeContainer: boolean;
  streamConnectors: readonly unknown[];
  resultHooks: readonly unknown[];
  signal: AbortSignal | undefined;
  docker: Docker | undefined;
  logger: Logger | undefined;
  reporter: Reporter | undefined;
  onEvent: ((event: DockerRunEvent) => void) | undefined;
  services: Services | undefined;
  stopGraceMs: number;
  temporaryVolumeRoot: string | undefined;
  runId: string | undefined;
  workerId: string | undefined;
  gpus: boolean | number;
  permissionsHelperImage: string | undefined;
  createOptions: Docker.ContainerCreateOptions;
  resources: RunResources;
  timeoutMs: number | undefined;
  defaults: RunDefaults;
  policy: RunPolicy | undefined;
}
