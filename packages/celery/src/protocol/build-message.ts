import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BindMountVolume, DockerVolumeObject } from '@girder-worker/transforms';
import { encodeJsonPickle } from '../jsonpickle/encode.ts';
import { newPyDict, PyObject, PyTuple, type PyValue } from '../jsonpickle/nodes.ts';
import type { RawCeleryMessage } from '../task.ts';
import { CeleryProtocolError } from './errors.ts';
import type { JobInfoSpec } from './job-info-spec.ts';
import { type PickledGirderClient, Pickler } from './to-pickle.ts';

/** The Celery task name of girder_worker's docker_run. */
const TASK = 'girder_worker.docker.tasks.docker_run';

/** Options of {@link buildDockerRunMessage}: a docker_run call as girder_worker's `.delay()` takes it. */
export interface BuildDockerRunOptions {
  /** The image (the one positional argument). */
  image: string;
  /** `pull_image`. @default omitted (girder_worker: true) */
  pullImage?: boolean;
  /** `entrypoint`. */
  entrypoint?: string | readonly string[];
  /** `container_args`: strings and transforms. */
  containerArgs?: readonly unknown[];
  /** `volumes`: volume instances, or a docker-py dict `{ host: { bind, mode } }`. */
  volumes?: readonly BindMountVolume[] | DockerVolumeObject;
  /** `environment`. */
  environment?: Readonly<Record<string, unknown>>;
  /** `working_dir`. */
  workingDir?: string;
  /** `user`. */
  user?: string;
  /** `remove_container`. @default omitted (girder_worker: true) */
  removeContainer?: boolean;
  /** `stream_connectors`. */
  streamConnectors?: readonly unknown[];
  /** Further docker-py keyword arguments, plain JSON (e.g. `{ network_mode: 'host', shm_size: '1g' }`). */
  dockerKwargs?: Readonly<Record<string, unknown>>;
  /** `girder_result_hooks`: result transforms, each pickled on its own. */
  resultHooks?: readonly unknown[];
  /** `jobInfoSpec` header: the Girder job to report to. */
  jobInfoSpec?: JobInfoSpec;
  /** `girder_api_url` header. */
  girderApiUrl?: string;
  /** `girder_client_token` header. */
  girderClientToken?: string;
  /** The client pickled as `gc` into Girder transforms. @default None (the worker's own client) */
  girderClient?: PickledGirderClient;
  /** The task id. @default a random UUID */
  taskId?: string;
  /** [hard, soft] time limits in seconds. @default [null, null] */
  timelimit?: readonly [number | null, number | null];
  /** `reply_to` (the rpc result backend's queue). */
  replyTo?: string;
}

function pyRepr(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value instanceof PyTuple)
    return `(${value.items.map(pyRepr).join(', ')}${value.items.length === 1 ? ',' : ''})`;
  if (value instanceof PyObject) return `<${value.className} object>`;
  if (typeof value === 'object' && value.constructor === undefined) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v as PyValue)}`)
      .join(', ')}}`;
  }
  return `<${value.constructor.name}>`;
}

function kwargsOf(options: BuildDockerRunOptions, pickler: Pickler): Record<string, PyValue> {
  const kwargs = newPyDict();
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) kwargs[key] = pickler.value(value, `kwargs.${key}`);
  };
  put('pull_image', options.pullImage);
  put('entrypoint', options.entrypoint);
  put('container_args', options.containerArgs);
  put('volumes', options.volumes);
  put('environment', options.environment);
  put('working_dir', options.workingDir);
  put('user', options.user);
  put('remove_container', options.removeContainer);
  put('stream_connectors', options.streamConnectors);
  for (const [key, value] of Object.entries(options.dockerKwargs ?? {})) {
    if (key in kwargs || key === 'image') {
      throw new CeleryProtocolError(`dockerKwargs.${key}`, `'${key}' is set by its own option`);
    }
    put(key, value);
  }
  return kwargs;
}

/**
 * Builds the Celery message girder_worker's `docker_run.delay(image, …)` publishes: protocol v2
 * headers (plus `jobInfoSpec`, `girder_api_url`, `girder_client_token`, `girder_result_hooks`) and
 * the jsonpickled `(args, kwargs, embed)` body with our transforms under girder_worker's class
 * names, so a Python girder_worker accepts it. Broker framing (Redis envelope, AMQP properties)
 * is the broker side's job.
 * @param options - the call
 * @returns the message
 * @throws {@link CeleryProtocolError} for a value with no girder_worker counterpart
 * @example
 * ```ts
 * const message = buildDockerRunMessage({
 *   image: 'alpine:3', containerArgs: ['echo', 'hi'], jobInfoSpec, girderApiUrl, girderClientToken,
 * });
 * ```
 */
export function buildDockerRunMessage(options: BuildDockerRunOptions): RawCeleryMessage {
  if (typeof options.image !== 'string' || options.image === '') {
    throw new CeleryProtocolError('image', 'expected an image name');
  }
  const id = options.taskId ?? randomUUID();
  const args = new PyTuple([options.image]);
  const kwargs = kwargsOf(options, new Pickler(options.girderClient));
  const embed = Object.assign(newPyDict(), { callbacks: null, errbacks: null, chain: null, chord: null });
  const body = encodeJsonPickle(new PyTuple([args, kwargs, embed]));
  const hooks = (options.resultHooks ?? []).map((hook, i) =>
    // Each hook is flattened on its own, as girder_worker's publish signal does.
    encodeJsonPickle(new Pickler(options.girderClient).value(hook, `resultHooks[${i}]`)),
  );
  const headers: Record<string, unknown> = {
    lang: 'py',
    task: TASK,
    id,
    shadow: null,
    eta: null,
    expires: null,
    group: null,
    group_index: null,
    retries: 0,
    timelimit: [options.timelimit?.[0] ?? null, options.timelimit?.[1] ?? null],
    root_id: id,
    parent_id: null,
    argsrepr: pyRepr(args),
    // Display only; environment values stay out of it (they may be secrets).
    kwargsrepr: pyRepr(
      kwargs.environment && typeof kwargs.environment === 'object' && !Array.isArray(kwargs.environment)
        ? Object.assign(newPyDict(), kwargs, {
            environment: Object.assign(
              newPyDict(),
              Object.fromEntries(Object.keys(kwargs.environment).map((k) => [k, '<hidden>'])),
            ),
          })
        : kwargs,
    ),
    origin: `gen${process.pid}@${hostname()}`,
    ignore_result: false,
  };
  if (options.jobInfoSpec)
    headers.jobInfoSpec = { ...options.jobInfoSpec, headers: { ...options.jobInfoSpec.headers } };
  if (options.girderClientToken !== undefined) headers.girder_client_token = options.girderClientToken;
  if (options.girderApiUrl !== undefined) headers.girder_api_url = options.girderApiUrl;
  if (hooks.length > 0) headers.girder_result_hooks = hooks;
  return {
    headers,
    properties: { correlationId: id, ...(options.replyTo ? { replyTo: options.replyTo } : {}), priority: 0 },
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  };
}
