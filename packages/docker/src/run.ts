import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Connect,
  type ConnectorProvider,
  hasConnector,
  isContainerStream,
  isFifoPeerMissingError,
  type StreamConnector,
} from '@girder-worker/pipes';
import {
  CleanupError,
  cleanupTransforms,
  collectVolumes,
  createTransformContext,
  findTransforms,
  type Logger,
  runExceptionHooks,
  runResultHooks,
  Services,
  SpecValidationError,
  silentLogger,
  TemporaryVolume,
  type Transform,
  type TransformContext,
  transformArguments,
} from '@girder-worker/transforms';
import Docker from 'dockerode';
import { DockerDemuxer } from './demux.ts';
import { DockerEngineError, DockerRunError } from './errors.ts';
import type { DockerRunEvent } from './events.ts';
import { detectOwnNetwork, hasForeignFiles, makeRemovable } from './host.ts';
import { defaultWorkerId, runLabels } from './labels.ts';
import { type DockerRunOptions, normalizeOptions } from './options.ts';
import { forwardTo, lineSink, TailTap } from './output.ts';
import { ensureImage } from './pull.ts';

/** What a successful {@link dockerRun} returns. */
export interface DockerRunResult {
  /** The container's exit code (0). */
  exitCode: number;
  /** The container id. */
  containerId: string;
  /** The values of the result hooks, in order. */
  results: unknown[];
}

/** The Docker client from the environment (DOCKER_HOST or the local socket; DOCKER_CLIENT_TIMEOUT seconds). */
export function dockerFromEnv(): Docker {
  const timeout = Number(process.env.DOCKER_CLIENT_TIMEOUT);
  return new Docker(Number.isFinite(timeout) && timeout > 0 ? { timeout: timeout * 1000 } : {});
}

function toArgument(value: unknown, index: number): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  throw new SpecValidationError(`containerArgs[${index}]`, 'a string (or a transform giving one)', value);
}

function toEnv(environment: Record<string, unknown>): string[] {
  return Object.entries(environment).map(([key, value]) => {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new SpecValidationError(`environment.${key}`, 'a string (or a transform giving one)', value);
    }
    return `${key}=${value}`;
  });
}

async function removeQuietly(container: Docker.Container, logger: Logger): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 404) return;
    if (status === 409) {
      // Removal already in progress (e.g. AutoRemove): wait until the engine is done.
      await (container.wait({ condition: 'removed' }) as Promise<unknown>).catch(() => {});
      return;
    }
    logger.warn('could not remove the container', { containerId: container.id, error: String(error) });
    throw new DockerEngineError(`remove container ${container.id.slice(0, 12)}`, error);
  }
}

/**
 * Runs a container the way girder_worker's `docker_run` does, complete and leak-free: validate →
 * transform arguments (with the run's own temporary volume, always mounted) → pull → create
 * (labelled) → attach before start → start → drive named pipes and stream connectors → wait →
 * result hooks (host paths) → clean up every transform, FIFO, temporary volume and the container.
 *
 * @example
 * ```ts
 * const out = new VolumePath('result.txt');
 * const { exitCode, results } = await dockerRun({
 *   image: 'girder-worker-test/busybox:latest', pullImage: false,
 *   containerArgs: ['sh', '-c', 'echo hi > "$0"', out],
 * });
 * ```
 * @throws {@link SpecValidationError} before anything starts, on an invalid option
 * @throws {@link ImageNotFoundError} when the image cannot be had
 * @throws {@link DockerRunError} when the container exits non-zero (exit code, stderr tail)
 * @throws the signal's reason when cancelled
 */
export async function dockerRun(options: DockerRunOptions): Promise<DockerRunResult> {
  const opts = normalizeOptions(options);
  const logger = options.logger ?? silentLogger;
  const onEvent = options.onEvent ?? ((): void => {});
  const signal = options.signal ?? new AbortController().signal;
  const runId = options.runId ?? randomUUID();
  const workerId = options.workerId ?? defaultWorkerId();
  const docker = options.docker ?? dockerFromEnv();
  const labels = { ...(opts.createOptions.Labels ?? {}), ...runLabels(runId, workerId) };
  signal.throwIfAborted();

  const runVolume = new TemporaryVolume(
    opts.temporaryVolumeRoot ? { hostDir: opts.temporaryVolumeRoot } : {},
  );
  await runVolume.create();
  const ctx: TransformContext = createTransformContext({
    runId,
    temporaryVolume: runVolume,
    signal,
    logger,
    ...(options.reporter ? { reporter: options.reporter } : {}),
    services: options.services ?? new Services(),
  });

  let transformed: Awaited<ReturnType<typeof transformArguments<unknown>>> | undefined;
  let container: Docker.Container | undefined;
  let connectors: StreamConnector[] = [];
  let started = false;
  const failures: unknown[] = [];
  let failed = false;
  let onAbort: (() => void) | undefined;
  try {
    transformed = await transformArguments(
      {
        containerArgs: opts.containerArgs,
        environment: opts.environment,
        streamConnectors: opts.streamConnectors,
      },
      ctx,
    );
    const values = transformed.values as { containerArgs: unknown[]; environment: Record<string, unknown> };
    const cmd = values.containerArgs.map(toArgument);
    const env = toEnv(values.environment);
    const { binds } = collectVolumes({
      volumes: opts.volumes,
      discoverIn: [opts.containerArgs, opts.environment, opts.streamConnectors, opts.resultHooks],
      temporaryVolume: runVolume,
    });

    await ensureImage(docker, opts.image, opts.pullImage, onEvent, signal);
    const hostConfig: Docker.HostConfig = { ...opts.createOptions.HostConfig, Binds: binds };
    if (!hostConfig.NetworkMode) {
      const network = await detectOwnNetwork(docker, logger);
      if (network) hostConfig.NetworkMode = network;
    }
    const imageInfo = await docker.getImage(opts.image).inspect();
    const wantsGpu = opts.gpus !== false || Boolean(imageInfo.Config?.Labels?.['com.nvidia.volumes.needed']);
    if (wantsGpu && !hostConfig.DeviceRequests) {
      hostConfig.DeviceRequests = [
        {
          Driver: '',
          Count: opts.gpus === false || opts.gpus === true ? -1 : opts.gpus,
          Capabilities: [['gpu']],
        },
      ];
    }
    const createOptions: Docker.ContainerCreateOptions = {
      ...opts.createOptions,
      Image: opts.image,
      Cmd: cmd,
      ...(opts.entrypoint ? { Entrypoint: opts.entrypoint } : {}),
      Env: [...(opts.createOptions.Env ?? []), ...env],
      ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      ...(opts.user ? { User: opts.user } : {}),
      Labels: labels,
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: false,
      HostConfig: hostConfig,
    };
    signal.throwIfAborted();
    try {
      container = await docker.createContainer(createOptions);
    } catch (error) {
      if (!wantsGpu || opts.gpus !== false)
        throw new DockerEngineError(`create a container of '${opts.image}'`, error);
      // The image asked for GPUs but the daemon has none: run without, as girder_worker falls back.
      logger.warn('the Docker engine refused GPU device requests; running without GPUs', {
        error: String(error),
      });
      delete hostConfig.DeviceRequests;
      container = await docker.createContainer(createOptions).catch((e: unknown) => {
        throw new DockerEngineError(`create a container of '${opts.image}'`, e);
      });
    }
    const created = container;
    onEvent({ type: 'created', containerId: created.id });
    logger.debug('created a container', { containerId: created.id, image: opts.image, runId });

    // Attach before start, so nothing the container prints early is lost.
    const attached = (await created.attach({
      stream: true,
      stdout: true,
      stderr: true,
    })) as unknown as Readable;
    const exited: Promise<{ StatusCode: number }> = created.wait({ condition: 'next-exit' });
    exited.catch(() => {});
    const demuxer = new DockerDemuxer();
    const demuxed = pipeline(attached, demuxer);
    demuxed.catch(() => {});
    const stderrTap = new TailTap();
    const stderrOut = demuxer.stderr.pipe(stderrTap);

    const providers = findTransforms([opts.containerArgs, opts.streamConnectors]).filter(
      hasConnector,
    ) as (Transform & ConnectorProvider)[];
    const redirects = (name: 'stdout' | 'stderr'): boolean =>
      providers.some((p) => p instanceof Connect && isContainerStream(p.input) && p.input.stream === name);
    const drains: Promise<void>[] = [];
    const defaultSink = (name: 'stdout' | 'stderr'): Writable =>
      options.reporter
        ? lineSink((line) => ctx.reporter.log(line, name))
        : forwardTo(name === 'stdout' ? process.stdout : process.stderr);
    if (!redirects('stdout')) drains.push(pipeline(demuxer.stdout, defaultSink('stdout')));
    if (!redirects('stderr')) drains.push(pipeline(stderrOut, defaultSink('stderr')));
    connectors = await Promise.all(
      providers.map((p) =>
        p.connector(ctx, {
          until: exited,
          signal,
          containerStdout: demuxer.stdout,
          containerStderr: stderrOut,
        }),
      ),
    );

    onAbort = (): void => {
      onEvent({ type: 'cancelled', containerId: created.id, reason: String(signal.reason) });
      created.stop({ t: Math.ceil(opts.stopGraceMs / 1000) }).catch(() => {});
      for (const c of connectors) void c.close(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    signal.throwIfAborted();
    try {
      await created.start();
    } catch (error) {
      throw new DockerEngineError(`start container ${created.id.slice(0, 12)}`, error);
    }
    started = true;
    onEvent({ type: 'started', containerId: created.id });
    for (const c of connectors) c.start();

    const { StatusCode: exitCode } = await exited;
    onEvent({ type: 'exited', containerId: created.id, exitCode });
    const connectorResults = await Promise.allSettled(connectors.map((c) => c.done));
    await Promise.allSettled([demuxed, ...drains]);
    signal.throwIfAborted();
    connectorResults.forEach((result, i) => {
      const name = String(providers[i]);
      if (result.status === 'fulfilled') {
        onEvent({ type: 'stream', name, bytes: result.value.bytesMoved });
      } else if (
        isFifoPeerMissingError(result.reason) ||
        isFifoPeerMissingError((result.reason as { cause?: unknown })?.cause)
      ) {
        logger.warn('the container never opened a named pipe', { connector: name, containerId: created.id });
      } else {
        failures.push(result.reason);
      }
    });
    if (exitCode !== 0) {
      throw new DockerRunError({
        exitCode,
        image: opts.image,
        containerId: created.id,
        stderrTail: stderrTap.tail(),
      });
    }
    if (failures.length > 0) throw failures[0];
    const results = await runResultHooks(opts.resultHooks, { exitCode, containerId: created.id }, ctx);
    return { exitCode, containerId: created.id, results };
  } catch (error) {
    failed = true;
    if (started && !signal.aborted) {
      await runExceptionHooks(opts.resultHooks, error, ctx).catch((hookError: unknown) => {
        logger.warn('exception hooks failed', { error: String(hookError) });
      });
    }
    throw signal.aborted ? signal.reason : error;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    const cleanupErrors: unknown[] = [];
    await Promise.allSettled(connectors.map((c) => c.close()));
    if (container && opts.removeContainer) {
      await removeQuietly(container, logger).catch((e: unknown) => cleanupErrors.push(e));
    } else if (container && signal.aborted) {
      await container.kill().catch(() => {});
    }
    // Files written as root by the container must be removable by a non-root worker.
    const tempDirs = [
      runVolume,
      ...findTransforms([opts.containerArgs, opts.resultHooks, opts.streamConnectors]),
    ]
      .filter((t): t is TemporaryVolume => t instanceof TemporaryVolume && t.created)
      .map((v) => v.hostPath);
    if (started && (await Promise.all(tempDirs.map(hasForeignFiles))).some(Boolean)) {
      await makeRemovable(docker, options.permissionsHelperImage ?? opts.image, tempDirs, labels).catch(
        (e: unknown) => logger.warn('could not make the temporary volumes removable', { error: String(e) }),
      );
    }
    const cleaned = new WeakSet<Transform>(transformed?.transforms ?? []);
    await transformed?.cleanup().catch((e: unknown) => cleanupErrors.push(e));
    await cleanupTransforms(findTransforms(opts.resultHooks).reverse(), ctx, cleaned).catch((e: unknown) =>
      cleanupErrors.push(e),
    );
    await runVolume.remove().catch((e: unknown) => cleanupErrors.push(e));
    if (cleanupErrors.length > 0) {
      logger.warn('cleanup after the run failed', { runId, errors: cleanupErrors.map(String) });
    }
    // A cleanup failure must not hide the run's own error; after a success it is the error.
    // biome-ignore lint/correctness/noUnsafeFinally: surfacing leaks after a successful run is intended
    if (cleanupErrors.length > 0 && !failed) throw new CleanupError(cleanupErrors);
  }
}

export type { DockerRunEvent };
