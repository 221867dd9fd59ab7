import type * as CeleryModule from '@girder-worker/celery';
import type { CeleryWorker, DockerRunHandlerOptions, TaskHandler } from '@girder-worker/celery';
import type * as DockerModule from '@girder-worker/docker';
import type { GirderRequestEvent } from '@girder-worker/girder-client';
import type { Logger } from '@girder-worker/transforms';
import type { Command } from 'commander';
import type Docker from 'dockerode';
import { cliSecrets } from '../cli-secrets.ts';
import type { WorkerMetrics } from '../metrics/worker-metrics.ts';
import { collect, integer, registryAuthOf } from './options.ts';
import {
  type ServiceFlags,
  serviceLogger,
  serviceMetrics,
  untilStopped,
  withServiceOptions,
} from './service.ts';

interface CeleryFlags extends ServiceFlags {
  broker: string;
  backend: string;
  queue: string[];
  concurrency: number;
  nodeName?: string;
}

/**
 * `girder-worker celery`: takes girder_worker's `docker_run` tasks from Girder's Celery queue
 * (Redis or RabbitMQ) until SIGTERM/SIGINT, a drop-in for the Python worker.
 * @param program - the program to add it to
 */
export function registerCeleryCommand(program: Command): void {
  const command = program
    .command('celery')
    .description("take girder_worker docker_run tasks from Girder's Celery queue (Redis or RabbitMQ)")
    .requiredOption(
      '--broker <url>',
      'the broker URL Girder uses (worker.broker), e.g. redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//',
    )
    .option('--backend <url>', 'result backend: rpc://, redis://… or disabled', 'rpc://')
    .option('--queue <name>', 'queue to consume (repeat for several)', collect, [])
    .option('--concurrency <n>', 'tasks at once (and AMQP prefetch)', integer, 1)
    .option(
      '--node-name <name>',
      "this worker's name in celery inspect (default girder-worker-<pid>@<host>)",
    );
  withServiceOptions(command, 'tasks').action(celeryAction);
}

async function celeryAction(flags: CeleryFlags): Promise<void> {
  cliSecrets.addUrlCredentials(flags.broker);
  cliSecrets.addUrlCredentials(flags.backend);
  const [celery, docker, { meteredHandler }] = await Promise.all([
    import('@girder-worker/celery'),
    import('@girder-worker/docker'),
    import('../celery-metrics.ts'),
  ]);
  const logger = await serviceLogger(flags);
  const engine = docker.dockerFromEnv();
  const reapTimer = await startReaping(docker, engine, logger, flags.reapIntervalMs);
  const { metrics, serve } = await serviceMetrics(flags);
  const runTask = await dockerRunHandler({ celery, docker, engine, logger, flags, metrics });
  const handler = metrics ? meteredHandler(runTask, metrics.onEvent) : runTask;
  const worker = await startCeleryWorker(celery, flags, handler, logger);
  const scrape = await serve();
  process.stderr.write(
    `girder-worker: celery worker ${worker.nodeName} takes docker_run tasks from ${queuesOf(flags).join(', ')} on ${cliSecrets.redact(flags.broker)} (concurrency ${flags.concurrency})\n`,
  );
  await untilStopped(
    flags,
    'tasks',
    (cancel) => {
      clearInterval(reapTimer);
      return worker.close({ cancel }).finally(() => scrape?.close());
    },
    () => void worker.close({ cancel: true }),
  );
}

/** The queues to consume: the `--queue` flags, else Celery's default queue `celery`. */
function queuesOf(flags: CeleryFlags): string[] {
  return flags.queue.length > 0 ? flags.queue : ['celery'];
}

/**
 * Removes the containers of dead workers now, then every `intervalMs` (0: only now); logs what it
 * cannot remove and goes on.
 * @returns the timer, to clear when the command stops
 */
async function startReaping(
  docker: typeof DockerModule,
  engine: Docker,
  logger: Logger,
  intervalMs: number,
): Promise<NodeJS.Timeout | undefined> {
  const reap = async (): Promise<void> => {
    try {
      const removed = await docker.reapOrphans({ docker: engine, logger });
      if (removed.length > 0) logger.info('reaped orphaned containers', { count: removed.length });
    } catch (error) {
      logger.warn('could not reap orphaned containers', { error: String(error) });
    }
  };
  await reap();
  const timer = intervalMs > 0 ? setInterval(() => void reap(), intervalMs) : undefined;
  timer?.unref();
  return timer;
}

/** What {@link dockerRunHandler} builds the handler from. */
interface HandlerParts {
  celery: typeof CeleryModule;
  docker: typeof DockerModule;
  engine: Docker;
  logger: Logger;
  flags: CeleryFlags;
  metrics: WorkerMetrics | undefined;
}

/**
 * The docker_run task handler: the flags' stop grace and registry credentials (else the Docker
 * config's), Engine options from `GIRDER_WORKER_DOCKER_RUN_OPTIONS`, Girder requests counted in
 * the metrics (if any).
 */
async function dockerRunHandler(parts: HandlerParts): Promise<TaskHandler> {
  const { celery, docker, engine, logger, flags } = parts;
  const createGirderClient = await meteredGirderClients(parts.metrics);
  return celery.createDockerRunHandler({
    docker: engine,
    ...(createGirderClient ? { createGirderClient } : {}),
    logger,
    stopGraceMs: flags.stopGraceMs,
    registryAuth: (await registryAuthOf(flags.registryAuth)) ?? docker.dockerConfigCredentials(),
    ...(process.env.GIRDER_WORKER_DOCKER_RUN_OPTIONS
      ? { dockerRunOptionsJson: process.env.GIRDER_WORKER_DOCKER_RUN_OPTIONS }
      : {}),
  });
}

/** Girder clients whose requests the metrics count; none without metrics (the handler's own then). */
async function meteredGirderClients(
  metrics: WorkerMetrics | undefined,
): Promise<DockerRunHandlerOptions['createGirderClient']> {
  const { GirderClient } = await import('@girder-worker/girder-client');
  if (!metrics) return undefined;
  const onRequest = (event: GirderRequestEvent): void =>
    metrics.onEvent({ type: 'girder', runId: '', ...event });
  return (spec) =>
    new GirderClient({ apiUrl: spec.apiUrl, ...(spec.token ? { token: spec.token } : {}), onRequest });
}

/**
 * The Celery worker taking docker_run tasks from the flags' queues; losing the broker connection
 * stops the command (a SIGTERM to itself: unfinished tasks go back to the queue).
 */
function startCeleryWorker(
  celery: typeof CeleryModule,
  flags: CeleryFlags,
  handler: TaskHandler,
  logger: Logger,
): Promise<CeleryWorker> {
  return celery.createCeleryWorker({
    broker: flags.broker,
    backend: flags.backend,
    queues: queuesOf(flags),
    concurrency: flags.concurrency,
    handler,
    logger,
    ...(flags.nodeName ? { nodeName: flags.nodeName } : {}),
    onConnectionLost: (error) => {
      logger.error('lost the broker connection: stopping (unfinished tasks go back to the queue)', {
        error: cliSecrets.redact(error.message),
      });
      process.kill(process.pid, 'SIGTERM');
    },
  });
}
