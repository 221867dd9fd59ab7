import { type Command, Option } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { collect, integer, registryAuthOf } from './options.ts';

interface CeleryFlags {
  broker: string;
  backend: string;
  queue: string[];
  concurrency: number;
  nodeName?: string;
  onSigterm: 'finish' | 'cancel';
  reapIntervalMs: number;
  stopGraceMs: number;
  verbose?: boolean;
  logFormat: 'text' | 'json';
  metricsPort?: number;
  metricsHost: string;
  registryAuth?: string;
}

/**
 * `girder-worker celery`: takes girder_worker's `docker_run` tasks from Girder's Celery queue
 * (Redis or RabbitMQ) until SIGTERM/SIGINT, a drop-in for the Python worker.
 * @param program - the program to add it to
 */
export function registerCeleryCommand(program: Command): void {
  program
    .command('celery')
    .description("take girder_worker docker_run tasks from Girder's Celery queue (Redis or RabbitMQ)")
    .requiredOption(
      '--broker <url>',
      'the broker URL Girder uses (worker.broker), e.g. redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//',
    )
    .option('--backend <url>', 'result backend: rpc://, redis://… or disabled', 'rpc://')
    .option('--queue <name>', 'queue to consume (repeat for several)', collect, [])
    .option('--concurrency <n>', 'tasks at once (and AMQP prefetch)', integer, 1)
    .option('--node-name <name>', "this worker's name in celery inspect (default girder-worker-<pid>@<host>)")
    .addOption(
      new Option(
        '--on-sigterm <what>',
        'on SIGTERM, finish or cancel running tasks (cancelled ones are requeued)',
      )
        .choices(['finish', 'cancel'])
        .default('finish'),
    )
    .option('--reap-interval-ms <ms>', 'how often containers of dead workers are removed', integer, 60_000)
    .option(
      '--stop-grace-ms <ms>',
      'on cancel, wait this long after SIGTERM before killing a container',
      integer,
      10_000,
    )
    .option('--verbose', 'log what the worker does')
    .addOption(
      new Option('--log-format <format>', 'text, or json: one JSON object per line')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics at http://<metrics-host>:<port>/metrics',
      integer,
    )
    .option('--metrics-host <address>', 'address of the metrics endpoint', '127.0.0.1')
    .option(
      '--registry-auth <file>',
      'registry credentials, JSON { username, password, serveraddress } (default: ~/.docker/config.json)',
    )
    .action(celeryAction);
}

async function celeryAction(flags: CeleryFlags): Promise<void> {
  cliSecrets.addUrlCredentials(flags.broker);
  cliSecrets.addUrlCredentials(flags.backend);
  const [celery, docker, { stderrLogger }, { jsonLinesLogger }, { meteredHandler }] = await Promise.all([
    import('@girder-worker/celery'),
    import('@girder-worker/docker'),
    import('../stderr-logger.ts'),
    import('../json-logger.ts'),
    import('../celery-metrics.ts'),
  ]);
  const verbose = Boolean(flags.verbose);
  const logger =
    flags.logFormat === 'json'
      ? jsonLinesLogger((line) => process.stderr.write(cliSecrets.redact(line)), { verbose })
      : stderrLogger(verbose);
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
  const metrics =
    flags.metricsPort === undefined
      ? undefined
      : await (await import('../metrics/worker-metrics.ts')).createWorkerMetrics();
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
  const scrape =
    metrics && flags.metricsPort !== undefined
      ? await (await import('../metrics/serve-metrics.ts')).serveMetrics(metrics.registry, {
          port: flags.metricsPort,
          host: flags.metricsHost,
        })
      : undefined;
  const queues = (flags.queue.length > 0 ? flags.queue : ['celery']).join(', ');
  process.stderr.write(
    `girder-worker: celery worker ${worker.nodeName} takes docker_run tasks from ${queues} on ${cliSecrets.redact(flags.broker)} (concurrency ${flags.concurrency})\n`,
  );
  if (scrape) process.stderr.write(`girder-worker: metrics at ${scrape.url}\n`);
  await new Promise<void>((done, fail) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`girder-worker: ${signal} again: cancelling running tasks\n`);
        void worker.close({ cancel: true });
        return;
      }
      stopping = true;
      const cancel = signal === 'SIGINT' || flags.onSigterm === 'cancel';
      process.stderr.write(
        `girder-worker: ${signal}: no new tasks; ${cancel ? 'cancelling' : 'finishing'} running tasks\n`,
      );
      clearInterval(reapTimer);
      worker
        .close({ cancel })
        .finally(() => scrape?.close())
        .then(done, fail);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
