import { randomUUID } from 'node:crypto';
import type { StreamConnector } from '@girder-worker/pipes';
import {
  CleanupError,
  cleanupTransforms,
  collectVolumes,
  createTransformContext,
  type Logger,
  runExceptionHooks,
  runResultHooks,
  Services,
  silentLogger,
  TemporaryVolume,
  type Transform,
  type TransformContext,
  transformArguments,
} from '@girder-worker/transforms';
import Docker from 'dockerode';
import { CleanupStack } from './cleanup-stack.ts';
import { enforceOnHostPaths, enforceOnOptions, enforceOnPlan, enforceTimeout } from './enforce-policy.ts';
import { DockerRunError, RunTimeoutError } from './errors.ts';
import type { DockerRunEvent } from './events.ts';
import { detectOwnNetwork, hasForeignFiles, makeRemovable } from './host.ts';
import { boundImageNeeds, readImageNeeds } from './image-needs.ts';
import { type RunInventory, takeInventory } from './inventory.ts';
import { defaultWorkerId, runLabels } from './labels.ts';
import { normalizeOptions } from './normalize.ts';
import type { DockerRunOptions, NormalizedDockerRunOptions } from './options.ts';
import { type ContainerPlan, planContainer } from './plan.ts';
import { ensureImage } from './pull.ts';
import { ContainerSession } from './session.ts';
import { connectorFailures, wireStreams } from './streams.ts';

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

/** One run's fixed parts, shared by its steps. */
interface Run {
  readonly opts: NormalizedDockerRunOptions;
  readonly inventory: RunInventory;
  readonly ctx: TransformContext;
  readonly docker: Docker;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly onEvent: (event: DockerRunEvent) => void;
  readonly labels: Record<string, string>;
  readonly runVolume: TemporaryVolume;
  readonly cleanup: CleanupStack;
}

/** The container started, ran and exited: its exit code, id and the connectors' failures. */
interface Ran {
  readonly exitCode: number;
  readonly session: ContainerSession;
  readonly stderrTail: string;
  readonly failures: unknown[];
  /** The run's `timeoutMs` was reached and the container stopped. */
  readonly timedOut: boolean;
}

/**
 * Runs a container the way girder_worker's `docker_run` does, complete and leak-free: validate →
 * check the policy (if any) → transform arguments (with the run's own temporary volume, always
 * mounted) → pull → plan → create (labelled) → attach before start → start → drive named pipes
 * and stream connectors → wait → result hooks (host paths) → clean up in reverse: connectors,
 * the container, every transform, FIFO and temporary volume.
 *
 * @example
 * ```ts
 * const out = new VolumePath('result.txt');
 * const { exitCode, results } = await dockerRun({
 *   image: 'girder-worker-test/busybox:latest', pullImage: false,
 *   containerArgs: ['sh', '-c', 'echo hi > "$0"', out],
 * });
 * ```
 * @throws `SpecValidationError` before anything starts, on an invalid or unknown option
 * @throws {@link PolicyViolationError} before anything starts, when the `policy` refuses the run
 * @throws {@link ImageNotFoundError} when the image cannot be had
 * @throws {@link DockerRunError} when the container exits non-zero (exit code, stderr tail)
 * @throws the signal's reason when cancelled
 */
export async function dockerRun(options: DockerRunOptions): Promise<DockerRunResult> {
  const opts = normalizeOptions(options);
  const inventory = takeInventory(opts);
  if (opts.policy) {
    opts.createOptions = enforceOnOptions(opts.policy, opts.image, opts.createOptions, opts.resources);
    opts.timeoutMs = enforceTimeout(opts.policy, opts.timeoutMs);
    await enforceOnHostPaths(opts.policy, inventory.hostPaths);
  }
  const run = await openRun(opts, inventory);
  const { signal, logger, ctx, cleanup } = run;
  let started = false;
  let failed = false;
  try {
    const ran = await runContainer(run, () => {
      started = true;
    });
    if (ran.timedOut && opts.timeoutMs !== undefined) {
      throw new RunTimeoutError({
        timeoutMs: opts.timeoutMs,
        image: opts.image,
        containerId: ran.session.id,
      });
    }
    if (ran.exitCode !== 0) {
      throw new DockerRunError({
        exitCode: ran.exitCode,
        image: opts.image,
        containerId: ran.session.id,
        stderrTail: ran.stderrTail,
      });
    }
    if (ran.failures.length > 0) throw ran.failures[0];
    const result = { exitCode: ran.exitCode, containerId: ran.session.id };
    const results = await runResultHooks(opts.resultHooks, result, ctx);
    return { ...result, results };
  } catch (error) {
    failed = true;
    if (started && !signal.aborted) {
      await runExceptionHooks(opts.resultHooks, error, ctx).catch((hookError: unknown) => {
        logger.warn('exception hooks failed', { error: String(hookError) });
      });
    }
    throw signal.aborted ? signal.reason : error;
  } finally {
    const cleanupErrors = await cleanup.run();
    if (cleanupErrors.length > 0) {
      logger.warn('cleanup after the run failed', { runId: ctx.runId, errors: cleanupErrors.map(String) });
    }
    // A cleanup failure must not hide the run's own error; after a success it is the error.
    // biome-ignore lint/correctness/noUnsafeFinally: surfacing leaks after a successful run is intended
    if (cleanupErrors.length > 0 && !failed) throw new CleanupError(cleanupErrors);
  }
}

/** The run's fixed parts: ids, labels, its own temporary volume (made now, removed last) and context. */
async function openRun(opts: NormalizedDockerRunOptions, inventory: RunInventory): Promise<Run> {
  const signal = opts.signal ?? new AbortController().signal;
  const logger = opts.logger ?? silentLogger;
  const runId = opts.runId ?? randomUUID();
  const labels = {
    ...(opts.createOptions.Labels ?? {}),
    ...runLabels(runId, opts.workerId ?? defaultWorkerId()),
  };
  signal.throwIfAborted();
  const runVolume = new TemporaryVolume(
    opts.temporaryVolumeRoot ? { hostDir: opts.temporaryVolumeRoot } : {},
  );
  await runVolume.create();
  const cleanup = new CleanupStack();
  cleanup.defer(() => runVolume.remove());
  return {
    opts,
    inventory,
    ctx: createTransformContext({
      runId,
      temporaryVolume: runVolume,
      signal,
      logger,
      ...(opts.reporter ? { reporter: opts.reporter } : {}),
      services: opts.services ?? new Services(),
    }),
    docker: opts.docker ?? dockerFromEnv(),
    logger,
    signal,
    onEvent: opts.onEvent ?? ((): void => {}),
    labels,
    runVolume,
    cleanup,
  };
}

/** Transforms the arguments, then plans, creates, wires, starts and waits for the container. */
async function runContainer(run: Run, onStarted: () => void): Promise<Ran> {
  const plan = await prepareContainer(run);
  run.signal.throwIfAborted();
  let started = false;
  const session = await openSession(run, plan, () => started);
  return driveContainer(run, session, () => {
    started = true;
    onStarted();
  });
}

/** Transforms the arguments (their cleanup deferred), has the image, and plans the container. */
async function prepareContainer(run: Run): Promise<ContainerPlan> {
  const { opts, ctx, signal, cleanup, inventory } = run;
  const cleaned = new WeakSet<Transform>();
  cleanup.defer(() => cleanupTransforms([...inventory.hookTransforms].reverse(), ctx, cleaned));
  // The volumes too: one listed only in `volumes` is made for the run (a missing host folder, a
  // temporary volume) and removed after, as one met among the arguments is.
  const transformed = await transformArguments(
    {
      containerArgs: opts.containerArgs,
      environment: opts.environment,
      streamConnectors: opts.streamConnectors,
      volumes: opts.volumes,
    },
    ctx,
  );
  cleanup.defer(async () => {
    for (const t of transformed.transforms) cleaned.add(t);
    await transformed.cleanup();
  });
  const { binds } = collectVolumes({
    volumes: opts.volumes,
    discoverIn: inventory.discoveredVolumes,
    temporaryVolume: run.runVolume,
  });
  // Independent engine requests, at once (detectOwnNetwork never throws).
  const [image, network] = await Promise.all([
    ensureImage(run.docker, opts.image, {
      policy: opts.pullImage,
      onEvent: run.onEvent,
      signal,
      credentials: opts.registryAuth,
      reporter: run.ctx.reporter,
      logger: run.logger,
    }),
    opts.createOptions.HostConfig?.NetworkMode ? undefined : detectOwnNetwork(run.docker, run.logger),
  ]);
  const plan = planContainer({
    options: opts,
    containerArgs: transformed.values.containerArgs,
    environment: transformed.values.environment,
    binds,
    labels: run.labels,
    network,
    imageLabels: image.Config?.Labels ?? undefined,
    imageNeeds: boundImageNeeds(
      readImageNeeds(opts.image, image.Config?.Labels ?? undefined),
      {
        memoryBytes: opts.policy?.memoryBytes,
        nanoCpus: opts.policy?.nanoCpus,
        pidsLimit: opts.policy?.pidsLimit,
      },
      (need, asked, ceiling) =>
        run.logger.warn('the image asks for more than the worker allows: lowered', {
          image: opts.image,
          need,
          asked,
          ceiling,
        }),
    ),
  });
  if (opts.policy) {
    const trusted = [...ownTemporaryDirs(run), ...(opts.defaults.volumes ?? []).map((v) => v.hostPath)];
    await enforceOnPlan(opts.policy, plan.create, trusted);
  }
  return plan;
}

/** The host directories of the run's temporary volumes that exist. */
function ownTemporaryDirs(run: Run): string[] {
  return [run.runVolume, ...run.inventory.temporaryVolumes].filter((v) => v.created).map((v) => v.hostPath);
}

/** Creates the container; defers its removal and, for a non-root worker, making its files removable. */
async function openSession(run: Run, plan: ContainerPlan, started: () => boolean): Promise<ContainerSession> {
  const { opts, signal, cleanup } = run;
  const session = await ContainerSession.create(run.docker, plan, run.logger);
  // Files written as root by the container must be removable by a non-root worker.
  cleanup.defer(async () => {
    const dirs = ownTemporaryDirs(run);
    if (!started() || !(await Promise.all(dirs.map(hasForeignFiles))).some(Boolean)) return;
    await makeRemovable(run.docker, opts.permissionsHelperImage ?? opts.image, dirs, run.labels).catch(
      (e: unknown) => run.logger.warn('could not make the temporary volumes removable', { error: String(e) }),
    );
  });
  cleanup.defer(() => {
    session.closeWith({ remove: opts.removeContainer, kill: signal.aborted });
    return session.close();
  });
  run.onEvent({ type: 'created', containerId: session.id });
  run.logger.debug('created a container', {
    containerId: session.id,
    image: opts.image,
    runId: run.ctx.runId,
  });
  return session;
}

/** Attaches (before start), wires the streams, starts, and waits for the exit and the streams. */
async function driveContainer(run: Run, session: ContainerSession, onStarted: () => void): Promise<Ran> {
  const { opts, signal, cleanup, inventory } = run;
  const attached = await session.attach();
  const exited = session.exited();
  const streams = await wireStreams({
    attached,
    exited,
    providers: inventory.providers,
    ctx: run.ctx,
    toReporter: opts.reporter !== undefined,
    signal,
  });
  const connectors: readonly StreamConnector[] = streams.connectors;
  cleanup.defer(async () => {
    await Promise.allSettled(connectors.map((c) => c.close()));
  });
  const onAbort = (): void => {
    run.onEvent({ type: 'cancelled', containerId: session.id, reason: String(signal.reason) });
    session.stop(opts.stopGraceMs);
    for (const c of connectors) void c.close(signal.reason);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  cleanup.defer(() => signal.removeEventListener('abort', onAbort));
  signal.throwIfAborted();
  await session.start();
  onStarted();
  run.onEvent({ type: 'started', containerId: session.id });
  for (const c of connectors) c.start();
  const timedOut = armTimeout(run, session, exited, connectors);

  const { StatusCode: exitCode } = await exited;
  run.onEvent({ type: 'exited', containerId: session.id, exitCode });
  const settled = await Promise.allSettled(connectors.map((c) => c.done));
  await streams.drained();
  signal.throwIfAborted();
  const failures = connectorFailures(settled, inventory.providers, run.onEvent, (message, context) =>
    run.logger.warn(message, { ...context, containerId: session.id }),
  );
  return { exitCode, session, stderrTail: streams.tail(), failures, timedOut: timedOut() };
}

/**
 * Stops the container when the run's `timeoutMs` passes before it exits (the timer is cleared in
 * cleanup). @returns whether that happened
 */
function armTimeout(
  run: Run,
  session: ContainerSession,
  exited: Promise<unknown>,
  connectors: readonly StreamConnector[],
): () => boolean {
  const limit = run.opts.timeoutMs;
  if (limit === undefined) return () => false;
  let hasExited = false;
  let timedOut = false;
  exited.then(
    () => {
      hasExited = true;
    },
    () => {},
  );
  const timer = setTimeout(() => {
    if (hasExited) return;
    timedOut = true;
    run.logger.warn('the run timed out: stopping its container', {
      containerId: session.id,
      timeoutMs: limit,
    });
    session.stop(run.opts.stopGraceMs);
    for (const c of connectors) void c.close(new Error(`the run timed out after ${limit} ms`));
  }, limit);
  run.cleanup.defer(() => clearTimeout(timer));
  return () => timedOut;
}
