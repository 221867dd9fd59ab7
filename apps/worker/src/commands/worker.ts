import { type Command, Option } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { BadInputError } from '../errors.ts';
import { integer, type QueueFlags, registryAuthOf, withQueueOptions } from './options.ts';

interface WorkerFlags extends QueueFlags {
  logFormat: 'text' | 'json';
  metricsPort?: number;
  metricsHost: string;
  policy?: string;
  registryAuth?: string;
  concurrency: number;
  onSigterm: 'finish' | 'cancel';
  lockDurationMs: number;
  reapIntervalMs: number;
  stopGraceMs: number;
  verbose?: boolean;
}

/**
 * `girder-worker worker`: takes runs from a BullMQ queue on Redis until SIGTERM/SIGINT.
 * @param program - the program to add it to
 */
export function registerWorkerCommand(program: Command): void {
  withQueueOptions(
    program
      .command('worker')
      .description('take runs from a BullMQ queue on Redis (run as many as you like, on any machines)'),
  )
    .option('--concurrency <n>', 'runs at once', integer, 1)
    .addOption(
      new Option('--on-sigterm <what>', 'on SIGTERM, finish or cancel running runs')
        .choices(['finish', 'cancel'])
        .default('finish'),
    )
    .option(
      '--lock-duration-ms <ms>',
      'lock of a running run (a dead worker is noticed after it)',
      integer,
      30_000,
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
      new Option(
        '--log-format <format>',
        'text, or json: one JSON object per line (logs and container output)',
      )
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
      '--policy <file>',
      'JSON run policy for queued specs (images, host paths, Engine options, limits)',
    )
    .action(workerAction);
}

async function workerAction(flags: WorkerFlags): Promise<void> {
  const [{ createWorker }, { stderrLogger }, { jsonLinesLogger }] = await Promise.all([
    import('../worker.ts'),
    import('../stderr-logger.ts'),
    import('../json-logger.ts'),
  ]);
  const json = flags.logFormat === 'json';
  const verbose = Boolean(flags.verbose);
  const logger = json
    ? jsonLinesLogger((line) => process.stderr.write(cliSecrets.redact(line)), { verbose })
    : stderrLogger(verbose);
  const policy = flags.policy === undefined ? undefined : await readPolicy(flags.policy);
  const registryAuth = await registryAuthOf(flags.registryAuth);
  const metrics =
    flags.metricsPort === undefined
      ? undefined
      : await (await import('../metrics/worker-metrics.ts')).createWorkerMetrics();
  const worker = await createWorker({
    redisUrl: flags.redis,
    queue: flags.queue,
    secrets: cliSecrets,
    concurrency: flags.concurrency,
    logger,
    lockDurationMs: flags.lockDurationMs,
    reapIntervalMs: flags.reapIntervalMs,
    stopGraceMs: flags.stopGraceMs,
    ...(policy ? { policy } : {}),
    ...(registryAuth ? { registryAuth } : {}),
    ...(metrics ? { onEvent: metrics.onEvent } : {}),
    onLine: json
      ? (runId, line, source) =>
          process.stdout.write(
            `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: line, runId, source: source ?? 'stdout' })}\n`,
          )
      : (runId, line, source) =>
          process.stdout.write(`[${runId}${source === 'stderr' ? ' stderr' : ''}] ${line}\n`),
  });
  const scrape =
    metrics && flags.metricsPort !== undefined
      ? await (await import('../metrics/serve-metrics.ts')).serveMetrics(metrics.registry, {
          port: flags.metricsPort,
          host: flags.metricsHost,
        })
      : undefined;
  if (scrape) process.stderr.write(`girder-worker: metrics at ${scrape.url}\n`);
  process.stderr.write(
    `girder-worker: worker ${worker.id} takes runs from queue ${flags.queue} (concurrency ${flags.concurrency})\n`,
  );
  await new Promise<void>((done, fail) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal: do not wait for running runs.
        process.stderr.write(`girder-worker: ${signal} again: cancelling running runs\n`);
        worker.bullmq.cancelAllJobs(`worker got ${signal} twice`);
        return;
      }
      stopping = true;
      const cancel = signal === 'SIGINT' || flags.onSigterm === 'cancel';
      process.stderr.write(
        `girder-worker: ${signal}: no new runs; ${cancel ? 'cancelling' : 'finishing'} running runs\n`,
      );
      worker
        .close({ cancel })
        .finally(() => scrape?.close())
        .then(done, fail);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** Reads a `--policy` file: JSON checked by `parseRunPolicy` (errors name the field). */
async function readPolicy(file: string): Promise<import('@girder-worker/docker').RunPolicy> {
  const [{ readFile }, { parseRunPolicy }] = await Promise.all([
    import('node:fs/promises'),
    import('@girder-worker/docker'),
  ]);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new BadInputError('--policy', `a readable JSON file, got ${file} (${(error as Error).message})`);
  }
  return parseRunPolicy(json);
}
