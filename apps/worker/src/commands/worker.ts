import type { Command } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { BadInputError } from '../errors.ts';
import { integer, type QueueFlags, registryAuthOf, withQueueOptions } from './options.ts';
import {
  type ServiceFlags,
  serviceLogger,
  serviceMetrics,
  untilStopped,
  withServiceOptions,
} from './service.ts';

interface WorkerFlags extends QueueFlags, ServiceFlags {
  policy?: string;
  concurrency: number;
  lockDurationMs: number;
}

/**
 * `girder-worker worker`: takes runs from a BullMQ queue on Redis until SIGTERM/SIGINT.
 * @param program - the program to add it to
 */
export function registerWorkerCommand(program: Command): void {
  withServiceOptions(
    withQueueOptions(
      program
        .command('worker')
        .description('take runs from a BullMQ queue on Redis (run as many as you like, on any machines)'),
    ),
    'runs',
  )
    .option('--concurrency <n>', 'runs at once', integer, 1)
    .option(
      '--lock-duration-ms <ms>',
      'lock of a running run (a dead worker is noticed after it)',
      integer,
      30_000,
    )
    .option(
      '--policy <file>',
      'JSON run policy for queued specs (images, host paths, Engine options, limits)',
    )
    .action(workerAction);
}

async function workerAction(flags: WorkerFlags): Promise<void> {
  const { createWorker } = await import('../worker.ts');
  const json = flags.logFormat === 'json';
  const logger = await serviceLogger(flags);
  const policy = flags.policy === undefined ? undefined : await readPolicy(flags.policy);
  const registryAuth = await registryAuthOf(flags.registryAuth);
  const { metrics, serve } = await serviceMetrics(flags);
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
  const scrape = await serve();
  process.stderr.write(
    `girder-worker: worker ${worker.id} takes runs from queue ${flags.queue} (concurrency ${flags.concurrency})\n`,
  );
  await untilStopped(
    flags,
    'runs',
    (cancel) => worker.close({ cancel }).finally(() => scrape?.close()),
    (signal) => worker.bullmq.cancelAllJobs(`worker got ${signal} twice`),
  );
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
