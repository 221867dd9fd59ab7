import type { Logger, Reporter } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { fail } from './checks.ts';
import { ImageNotFoundError } from './errors.ts';
import type { DockerRunEvent } from './events.ts';
import { credentialsFor, type RegistryCredentials, registryOf } from './registry/credentials.ts';

/**
 * When an image is pulled: `always` (girder_worker's default), `if-not-present` (only when it is
 * missing: slicer_cli_web's choice), `never` (it must be present).
 */
export type PullPolicy = 'always' | 'if-not-present' | 'never';

/** The values `pullImage` accepts: a policy, or girder_worker's booleans. */
export type PullImageOption = boolean | PullPolicy;

const POLICIES: readonly PullPolicy[] = ['always', 'if-not-present', 'never'];

/**
 * Reads `pullImage`: `true` → `always`, `false` → `never`, or a policy name.
 * @throws `SpecValidationError` naming `path`
 */
export function parsePullPolicy(value: unknown, path: string): PullPolicy {
  if (value === true) return 'always';
  if (value === false) return 'never';
  if (typeof value === 'string' && (POLICIES as readonly string[]).includes(value))
    return value as PullPolicy;
  return fail(path, 'true, false, "always", "if-not-present" or "never"', value);
}

/** What a pull did, for the summary line. */
export interface PullSummary {
  /** Layers of the image (downloaded or already present). */
  layers: number;
  /** Bytes downloaded (sum of the layers' totals, when the engine told them). */
  bytes: number;
  /** Wall time of the pull. */
  durationMs: number;
}

/** How {@link ensureImage} pulls. */
export interface EnsureImageOptions {
  /** When to pull. */
  policy: PullPolicy;
  /** Pull progress (layer status and bytes) for a live display. */
  onEvent: (event: DockerRunEvent) => void;
  /** Stops waiting for the pull (the pull itself may go on for other runs sharing it). */
  signal: AbortSignal;
  /** Registry credentials; never logged. */
  credentials?: RegistryCredentials | undefined;
  /** Summary lines of the pull (source `worker`): a job log gets two lines, not one per layer. */
  reporter?: Reporter | undefined;
  /** @default silent */
  logger?: Logger | undefined;
}

/** Pulls under way, per engine client and image: concurrent runs of one missing image pull it once. */
const pulling = new WeakMap<Docker, Map<string, Promise<PullSummary>>>();

function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** The registry's words for a failure, without anything that could carry a credential. */
function reasonOf(error: unknown): string {
  const e = error as { json?: { message?: string }; message?: string; reason?: string };
  return e.json?.message ?? e.message ?? String(error);
}

/** Reads a pull's progress stream to its end; an `error` line fails it (docker-modem would not). */
async function followPull(
  image: string,
  stream: NodeJS.ReadableStream,
  listeners: Set<(event: DockerRunEvent) => void>,
): Promise<{ layers: number; bytes: number }> {
  const totals = new Map<string, number>();
  const layers = new Set<string>();
  let buffered = '';
  const handle = (line: string): void => {
    let event: {
      status?: string;
      id?: string;
      error?: string;
      progressDetail?: { current?: number; total?: number };
    };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.error)
      throw new ImageNotFoundError(image, `could not be pulled from ${registryOf(image)}: ${event.error}`);
    const total = event.progressDetail?.total;
    if (event.id && (event.status === 'Pulling fs layer' || event.status === 'Already exists'))
      layers.add(event.id);
    if (event.id && total !== undefined && total > 0 && event.status === 'Downloading')
      totals.set(event.id, total);
    const out: DockerRunEvent = {
      type: 'pull',
      status: event.status ?? '',
      ...(event.id ? { layer: event.id } : {}),
      ...(event.progressDetail?.current === undefined ? {} : { current: event.progressDetail.current }),
      ...(total === undefined ? {} : { total }),
    };
    for (const listener of listeners) listener(out);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) handle(line);
    }
  } catch (error) {
    if (error instanceof ImageNotFoundError) throw error;
    throw new ImageNotFoundError(
      image,
      `could not be pulled from ${registryOf(image)}: the pull was cut (${reasonOf(error)})`,
      {
        cause: error,
      },
    );
  }
  if (buffered.trim()) handle(buffered);
  let bytes = 0;
  for (const total of totals.values()) bytes += total;
  return { layers: layers.size, bytes };
}

/**
 * Pulls `image` once per engine client at a time: a second caller while a pull is under way waits
 * for the same pull (and sees its progress from then on).
 * @throws {@link ImageNotFoundError} naming the image, the registry and its message
 */
function pullImage(
  docker: Docker,
  image: string,
  options: Omit<EnsureImageOptions, 'policy'>,
): Promise<PullSummary> {
  let byImage = pulling.get(docker);
  if (!byImage) {
    byImage = new Map();
    pulling.set(docker, byImage);
  }
  const listeners = listenersOf(docker, image);
  listeners.add(options.onEvent);
  let shared = byImage.get(image);
  if (!shared) {
    const started = Date.now();
    shared = (async () => {
      const auth = await credentialsFor(options.credentials, image);
      let stream: NodeJS.ReadableStream;
      try {
        stream = await docker.pull(image, auth ? { authconfig: auth } : {});
      } catch (error) {
        throw new ImageNotFoundError(
          image,
          `could not be pulled from ${registryOf(image)}: ${reasonOf(error)}`,
          {
            cause: redactedCause(error),
          },
        );
      }
      const { layers, bytes } = await followPull(image, stream, listeners);
      return { layers, bytes, durationMs: Date.now() - started };
    })().finally(() => {
      byImage.delete(image);
      listenersByImage.get(docker)?.delete(image);
    });
    byImage.set(image, shared);
  }
  const done = shared.finally(() => listeners.delete(options.onEvent));
  return waitOrAbort(done, options.signal);
}

const listenersByImage = new WeakMap<Docker, Map<string, Set<(event: DockerRunEvent) => void>>>();
function listenersOf(docker: Docker, image: string): Set<(event: DockerRunEvent) => void> {
  let byImage = listenersByImage.get(docker);
  if (!byImage) {
    byImage = new Map();
    listenersByImage.set(docker, byImage);
  }
  let set = byImage.get(image);
  if (!set) {
    set = new Set();
    byImage.set(image, set);
  }
  return set;
}

/** dockerode's error without its request options (which hold the X-Registry-Auth header). */
function redactedCause(error: unknown): Error {
  const e = error as { statusCode?: number; json?: unknown; message?: string };
  const copy = new Error(reasonOf(error)) as Error & { statusCode?: number; json?: unknown };
  if (e.statusCode !== undefined) copy.statusCode = e.statusCode;
  if (e.json !== undefined) copy.json = e.json;
  return copy;
}

function waitOrAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

async function inspect(docker: Docker, image: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(image).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/**
 * Makes sure `image` can run, following the pull policy, then inspects it (once): `always` pulls,
 * `if-not-present` pulls only a missing image, `never` only checks. A pull writes two summary
 * lines to the reporter (source `worker`), e.g. for a Girder job log.
 *
 * @returns the image's inspect data (its labels may ask for GPUs and other resources)
 * @throws {@link ImageNotFoundError} naming the image and why (missing with `never`, or the
 *   registry's message)
 */
export async function ensureImage(
  docker: Docker,
  image: string,
  options: EnsureImageOptions,
): Promise<Docker.ImageInspectInfo> {
  const { policy } = options;
  if (policy !== 'always') {
    const present = await inspect(docker, image);
    if (present) return present;
    if (policy === 'never')
      throw new ImageNotFoundError(
        image,
        "is not present and pullImage is 'never' (false): build or pull it first",
      );
  }
  options.reporter?.log(`Pulling image ${image}`, 'worker');
  options.logger?.info('pulling image', { image });
  const summary = await pullImage(docker, image, options);
  // The engine names no layer when every one is already present (only the manifest was new).
  const what =
    summary.layers === 0
      ? 'all layers already present'
      : `${summary.layers} layer${summary.layers === 1 ? '' : 's'}, ${formatMiB(summary.bytes)} downloaded`;
  const line = `Pulled image ${image} (${what}) in ${(summary.durationMs / 1000).toFixed(1)} s`;
  options.reporter?.log(line, 'worker');
  options.logger?.info('pulled image', { image, ...summary });
  const pulled = await inspect(docker, image);
  if (!pulled) throw new ImageNotFoundError(image, 'is not present after its pull');
  return pulled;
}
