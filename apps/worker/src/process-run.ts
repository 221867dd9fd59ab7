import {
  isDockerRunError,
  isImageNotFoundError,
  isRunTimeoutError,
  type RegistryCredentials,
  type RunPolicy,
} from '@girder-worker/docker';
import {
  hasErrorIdentity,
  isPlainObject,
  isSpecValidationError,
  type Logger,
  redactValue,
  type SecretRegistry,
  SpecValidationError,
} from '@girder-worker/transforms';
import { type Job, UnrecoverableError } from 'bullmq';
import type Docker from 'dockerode';
import type { Redis } from 'ioredis';
import { asRunCancelled, isBadInputError, RunCancelledError } from './errors.ts';
import { executeRun } from './execute.ts';
import {
  cancelKey,
  encodeRunFailure,
  type RunFailure,
  type RunJobData,
  type RunJobResult,
} from './queue-common.ts';
import { loadRunSpec, parseGirderInfo, type RunSpec } from './spec.ts';
import type { NormalizedWorkerOptions, WorkerOptions } from './worker.ts';

/** The spec of a queued run, with the job data's Girder job (if any) put in. */
function specOf(data: RunJobData): { spec: RunSpec; girderToken: string | undefined } {
  if (!isPlainObject(data)) throw new SpecValidationError('(job data)', 'an object with a spec', data);
  if (data.girderToken !== undefined && typeof data.girderToken !== 'string')
    throw new SpecValidationError('girderToken', 'a string', '(hidden)');
  const spec = loadRunSpec(data.spec);
  if (data.girderJob === undefined) return { spec, girderToken: data.girderToken };
  if (!isPlainObject(data.girderJob))
    throw new SpecValidationError('girderJob', 'an object { apiUrl, jobId, token }', data.girderJob);
  const { apiUrl, jobId, token } = data.girderJob;
  const girder = parseGirderInfo({ apiUrl, jobId }, 'girderJob');
  if (girder.jobId === undefined) throw new SpecValidationError('girderJob.jobId', 'a Girder id', jobId);
  if (typeof token !== 'string' || token === '')
    throw new SpecValidationError('girderJob.token', 'a token', '(hidden)');
  return { spec: { ...spec, girder }, girderToken: token };
}

/** Whether a Girder refused a request for good (a 4xx other than 408/429), anywhere in the causes. */
function isPermanentGirderRefusal(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (hasErrorIdentity(current, 'GirderHttpError', 'GIRDER_HTTP_ERROR')) {
      const status = (current as { status?: unknown }).status;
      return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * What a failed run records, and whether it is tried again. Cancellation, bad input (an invalid
 * spec, unusable job data, a Girder that refused a request for good) and a run's own failure (its
 * container exited non-zero, its image is missing) are final; anything else (the engine, the
 * network, a Girder 5xx) is tried again, up to the run's attempts.
 */
function classifyRunFailure(error: unknown, signal?: AbortSignal): RunFailure & { final: boolean } {
  const cancelled = asRunCancelled(error, signal);
  if (cancelled) return { code: 'GW_RUN_CANCELLED', message: cancelled.reason, final: true };
  const message = error instanceof Error ? error.message : String(error);
  if (isSpecValidationError(error) || isBadInputError(error) || isPermanentGirderRefusal(error))
    return { code: 'GW_BAD_INPUT', message, final: true };
  if (isRunTimeoutError(error)) return { code: 'GW_RUN_TIMED_OUT', message, final: true };
  const final = isDockerRunError(error) || isImageNotFoundError(error);
  return { code: 'GW_RUN_FAILED', message, final };
}

/**
 * The error a processor throws for a failure: BullMQ records its message (and the stack, which
 * repeats it) and retries unless final. Secrets are masked before anything is recorded.
 */
function failure(error: unknown, signal: AbortSignal | undefined, secrets: SecretRegistry): Error {
  const { final, code, message } = classifyRunFailure(error, signal);
  const reason = encodeRunFailure({ code, message: secrets.redact(message) });
  return final ? new UnrecoverableError(reason) : new Error(reason);
}

/** What {@link processRun} needs from its worker: its options, clients, secrets and callbacks. */
export interface RunContext extends NormalizedWorkerOptions {
  docker: Docker;
  secrets: SecretRegistry;
  commands: Redis;
  onLine: WorkerOptions['onLine'];
  onEvent: WorkerOptions['onEvent'];
  logLinesPerRun: number;
  policy: RunPolicy | undefined;
  registryAuth: RegistryCredentials | undefined;
}

/**
 * A run's queue log (shown by the dashboard): the worker's notes and the first `keep` output
 * lines, secrets masked; then one line saying the rest was not kept.
 */
function queueLogOf(
  job: Job<RunJobData, RunJobResult>,
  keep: number,
  secrets: SecretRegistry,
): { note: (text: string) => void; line: (text: string) => void } {
  let kept = 0;
  const write = (text: string): void => void job.log(secrets.redact(text)).catch(() => {});
  return {
    note: write,
    line: (text) => {
      if (kept > keep || keep === 0) return;
      kept += 1;
      write(kept > keep ? `… (more output; the first ${keep} lines are kept)` : text);
    },
  };
}

/** The job data without its tokens (kept for the record: spec, Girder job id). */
function withoutTokens(data: RunJobData): RunJobData {
  const { girderToken: _token, girderJob, ...rest } = data;
  if (!isPlainObject(girderJob)) return rest;
  const { token: _jobToken, ...job } = girderJob;
  // Kept for the record without its token (the run is over: nothing will use it).
  return { ...rest, girderJob: job as unknown as RunJobData['girderJob'] };
}

/** Drops the tokens from a settled run's job data, so they do not stay in Redis for a day. */
async function dropTokens(job: Job<RunJobData, RunJobResult>, logger: Logger): Promise<void> {
  if (!isPlainObject(job.data)) return;
  if (job.data.girderToken === undefined && !isPlainObject(job.data.girderJob)) return;
  try {
    await job.updateData(withoutTokens(job.data));
  } catch (error) {
    logger.warn('could not drop the tokens from the job data', { runId: job.id, error: String(error) });
  }
}

/** Adds a queued run's tokens to the secrets while it lasts; returns the function that removes them. */
function addJobSecrets(data: unknown, secrets: SecretRegistry): () => void {
  if (!isPlainObject(data)) return () => {};
  const token = isPlainObject(data.girderJob) ? data.girderJob.token : undefined;
  const forget = [data.girderToken, token].map((t) => secrets.add(typeof t === 'string' ? t : undefined));
  return () => {
    for (const f of forget) f();
  };
}

/** Runs a validated queued run with `executeRun`; output lines and progress masked. */
async function executeJob(
  job: Job<RunJobData, RunJobResult>,
  run: ReturnType<typeof specOf>,
  signal: AbortSignal | undefined,
  context: RunContext,
): Promise<RunJobResult> {
  const { secrets } = context;
  const runId = job.id as string;
  const queueLog = queueLogOf(job, context.logLinesPerRun, secrets);
  const result = await executeRun(run.spec, {
    onEvent: (event) => {
      if (event.type === 'created')
        queueLog.note(`container ${event.containerId.slice(0, 12)} created on worker ${context.workerId}`);
      else if (event.type === 'exited') queueLog.note(`container exited with code ${event.exitCode}`);
      context.onEvent?.({ type: 'run', runId, event });
    },
    ...(context.onEvent
      ? { onGirderRequest: (event) => context.onEvent?.({ type: 'girder', runId, ...event }) }
      : {}),
    ...(signal ? { signal } : {}),
    logger: context.logger,
    docker: context.docker,
    workerId: context.workerId,
    ...(context.policy ? { policy: context.policy } : {}),
    ...(context.registryAuth ? { registryAuth: context.registryAuth } : {}),
    ...(context.stopGraceMs === undefined ? {} : { stopGraceMs: context.stopGraceMs }),
    runId: `${context.queue}:${job.id}`,
    ...(run.girderToken ? { girderToken: run.girderToken } : {}),
    reporter: {
      log: (line, source) => {
        queueLog.line(line);
        context.onLine?.(runId, secrets.redact(line), source);
      },
      progress: (progress) => void job.updateProgress(redactValue({ ...progress }, secrets)).catch(() => {}),
    },
  });
  const { exitCode, containerId, results } = result;
  return redactValue({ exitCode, containerId, results, worker: context.workerId }, secrets);
}

/**
 * Takes one run: validates its data, runs it, records its result or failure (secrets masked), and
 * drops its tokens from the job data once it has settled for good.
 */
export async function processRun(
  job: Job<RunJobData, RunJobResult>,
  signal: AbortSignal | undefined,
  context: RunContext,
): Promise<RunJobResult> {
  const { secrets, logger } = context;
  const forget = addJobSecrets(job.data, secrets);
  const settle = async (error?: unknown): Promise<Error | undefined> => {
    const thrown = error === undefined ? undefined : failure(error, signal, secrets);
    const lastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (!thrown || thrown instanceof UnrecoverableError || lastTry) await dropTokens(job, logger);
    return thrown;
  };
  try {
    let result: RunJobResult;
    try {
      const run = specOf(job.data);
      if (await context.commands.exists(cancelKey(context.queue, job.id as string)))
        throw new RunCancelledError('cancelled by request before it started');
      logger.info('run started', {
        runId: job.id,
        image: run.spec.options.image,
        attempt: job.attemptsMade + 1,
      });
      result = await executeJob(job, run, signal, context);
    } catch (error) {
      throw await settle(error);
    }
    logger.info('run finished', { runId: job.id });
    await settle();
    return result;
  } finally {
    forget();
  }
}
