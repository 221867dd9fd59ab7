import type { Command } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
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
  const reap = async (): Promise<void> => {
    try {
      const removed = await docker.reapOrphans({ docker: engine, logger });
      if (removed.length > 0) logger.info('reaped orphaned containers', { count: removed.length });
    } catch (error) {
      logger.warn('could not reap orphaned containers', { error: String(error) });
    }
  };
  await reap();
  const reapTimer =
    flags.reapIntervalMs > 0 ? setInterval(() => void reap(), flags.reapIntervalMs) : undefined;
  reapTimer?.unref();
  const { metrics, serve } = await serviceMetrics(flags);
  const onGirderRequest = metrics
    ? (event: import('@girder-worker/girder-client').GirderRequestEvent) =>
        metrics.onEvent({ type: 'girder', runId: '', ...event })
    : undefined;
  const { GirderClient } = await import('@girder-worker/girder-client');
  const handler = celery.createDockerRunHandler({
    docker: engine,
    ...(onGirderRequest
      ? {
          createGirderClient: (spec) =>
            new GirderClient({
              apiUrl: spec.apiUrl,
              ...(spec.token ? { token: spec.token } : {}),
              onRequest: onGirderRequest,
            }),
        }
      : {}),
    logger,
    stopGraceMs: flags.stopGraceMs,
    registryAuth: (await registryAuthOf(flags.registryAuth)) ?? docker.dockerConfigCredentials(),
    ...(process.env.GIRDER_WORKER_DOCKER_RUN_OPTIONS
      ? { dockerRunOptionsJson: process.env.GIRDER_WORKER_DOCKER_RUN_OPTIONS }
      : {}),
  });
  const worker = await celery.createCeleryWorker({
    broker: flags.broker,
    backend: flags.backend,
    queues: flags.queue.length > 0 ? flags.queue : ['celery'],
    concurrency: flags.concurrency,
    handler: metrics ? meteredHandler(handler, metrics.onEvent) : handler,
    logger,
    ...(flags.nodeName ? { nodeName: flags.nodeName } : {}),
    onConnectionLost: (error) => {
      logger.error('lost the broker connection: stopping (unfinished tasks go back to the queue)', {
        error: cliSecrets.redact(error.message),
      });
      process.kill(process.pid, 'SIGTERM');
    },
  });
  const scrape = await serve();
  const queues = (flags.queue.length > 0 ? flags.queue : ['celery']).join(', ');
  process.stderr.write(
    `girder-worker: celery worker ${worker.nodeName} takes docker_run tasks from ${queues} on ${cliSecrets.redact(flags.broker)} (concurrency ${flags.concurrency})\n`,
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
