import { type Command, Option } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { integer, type QueueFlags, withQueueOptions } from './options.ts';

interface WorkerFlags extends QueueFlags {
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
    .action(workerAction);
}

async function workerAction(flags: WorkerFlags): Promise<void> {
  const [{ createWorker }, { stderrLogger }] = await Promise.all([
    import('../worker.ts'),
    import('../stderr-logger.ts'),
  ]);
  const worker = await createWorker({
    redisUrl: flags.redis,
    queue: flags.queue,
    secrets: cliSecrets,
    concurrency: flags.concurrency,
    logger: stderrLogger(Boolean(flags.verbose)),
    lockDurationMs: flags.lockDurationMs,
    reapIntervalMs: flags.reapIntervalMs,
    stopGraceMs: flags.stopGraceMs,
    onLine: (runId, line, source) =>
      process.stdout.write(`[${runId}${source === 'stderr' ? ' stderr' : ''}] ${line}\n`),
  });
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
      worker.close({ cancel }).then(done, fail);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
