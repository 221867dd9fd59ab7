import type Docker from 'dockerode';
import { fail } from './checks.ts';
import type { ImageNeeds } from './image-needs.ts';
import { type RunResources, resourceHostConfig } from './resources.ts';

/** The image label by which an image asks for GPUs (girder_worker's nvidia convention). */
export const GPU_IMAGE_LABEL = 'com.nvidia.volumes.needed';

/** What {@link planContainer} needs besides the options: values known once transforms ran. */
export interface ContainerPlanInput {
  /** The validated options that shape the container (see `DockerRunOptions`). */
  options: {
    image: string;
    entrypoint?: readonly string[] | undefined;
    workingDir?: string | undefined;
    user?: string | undefined;
    /** @default false */
    gpus?: boolean | number;
    /** Create options, deployment defaults already merged beneath. @default {} */
    createOptions?: Docker.ContainerCreateOptions;
    /** Typed resource limits, over `createOptions.HostConfig`. @default {} */
    resources?: RunResources;
  };
  /** The container arguments with transforms replaced by their values. */
  containerArgs: readonly unknown[];
  /** The environment with transforms replaced by their values. */
  environment: Readonly<Record<string, unknown>>;
  /** `HostConfig.Binds` of every volume. */
  binds: readonly string[];
  /** The run's labels (over any in `createOptions.Labels`). */
  labels: Readonly<Record<string, string>>;
  /** The network to join when the options name none (this worker's own, when containerized). */
  network?: string | undefined;
  /** The image's labels (from one inspect), for its GPU request. */
  imageLabels?: Readonly<Record<string, string>> | undefined;
  /**
   * What the image declares it needs (`org.girder-worker.needs.*` labels, already within the
   * worker's ceilings): each applies where neither the resources nor the create options set it.
   */
  imageNeeds?: ImageNeeds | undefined;
}

/** The Engine API create body of a run, and the body to fall back to when GPUs are refused. */
export interface ContainerPlan {
  /** The create body. */
  readonly create: Docker.ContainerCreateOptions;
  /**
   * The same body without GPU device requests, when only the image (not the caller) asked for
   * GPUs: girder_worker then runs without them if the engine has none. Else undefined.
   */
  readonly withoutGpus: Docker.ContainerCreateOptions | undefined;
}

function toArgument(value: unknown, index: number): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return fail(`containerArgs[${index}]`, 'a string (or a transform giving one)', value);
}

function toEnv(environment: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(environment).map(([key, value]) => {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      fail(`environment.${key}`, 'a string (or a transform giving one)', value);
    return `${key}=${value}`;
  });
}

function gpuRequest(gpus: boolean | number): Docker.DeviceRequest[] {
  return [{ Driver: '', Count: typeof gpus === 'number' ? gpus : -1, Capabilities: [['gpu']] }];
}

/**
 * Plans the container of a run: the Engine API create body, where the caller's create options,
 * the deployment defaults (already merged beneath them), arguments, environment, binds, labels,
 * GPU requests and dockerRun's own settings (no TTY, attach stdout/stderr) meet. Pure: no engine,
 * no file system.
 *
 * @param input - validated options and the transformed values
 * @returns the create body (and its fallback without GPUs)
 * @throws `SpecValidationError` when an argument or variable is not a string after transforms
 */
export function planContainer(input: ContainerPlanInput): ContainerPlan {
  const { options } = input;
  const o = { ...options, gpus: options.gpus ?? false, createOptions: options.createOptions ?? {} };
  const cmd = input.containerArgs.map(toArgument);
  const env = toEnv(input.environment);
  const hostConfig: Docker.HostConfig = {
    ...o.createOptions.HostConfig,
    ...resourceHostConfig(o.resources ?? {}),
    Binds: [...input.binds],
  };
  if (!hostConfig.NetworkMode && input.network) hostConfig.NetworkMode = input.network;
  const needs = input.imageNeeds;
  const byImage = resourceHostConfig(needs?.resources ?? {}) as Record<string, unknown>;
  const merged = hostConfig as Record<string, unknown>;
  for (const [key, value] of Object.entries(byImage)) if (merged[key] === undefined) merged[key] = value;
  const imageWantsGpu = Boolean(input.imageLabels?.[GPU_IMAGE_LABEL]) || needs?.gpus !== undefined;
  const wantsGpu = o.gpus !== false || imageWantsGpu;
  const gpus = o.gpus === false && typeof needs?.gpus === 'number' ? needs.gpus : o.gpus;
  if (wantsGpu && !hostConfig.DeviceRequests) hostConfig.DeviceRequests = gpuRequest(gpus);
  const create: Docker.ContainerCreateOptions = {
    ...o.createOptions,
    Image: o.image,
    Cmd: cmd,
    ...(o.entrypoint ? { Entrypoint: [...o.entrypoint] } : {}),
    Env: [...(o.createOptions.Env ?? []), ...env],
    ...(o.workingDir ? { WorkingDir: o.workingDir } : {}),
    ...(o.user ? { User: o.user } : {}),
    Labels: { ...(o.createOptions.Labels ?? {}), ...input.labels },
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    HostConfig: hostConfig,
  };
  const fallback = wantsGpu && o.gpus === false;
  if (!fallback) return { create, withoutGpus: undefined };
  const { DeviceRequests: _dropped, ...withoutRequests } = hostConfig;
  return { create, withoutGpus: { ...create, HostConfig: withoutRequests } };
}
