#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isDockerRunError, isImageNotFoundError } from '@girder-worker/docker';
import { isJobCanceledError } from '@girder-worker/girder';
import { isSpecValidationError } from '@girder-worker/transforms';
import { Command, CommanderError, Option } from 'commander';
import { cancelRun, getRunStatus, submitRun, waitForRun } from './client.ts';
import {
  BadInputError,
  isBadInputError,
  isRunCancelledError,
  isRunFailedError,
  isRunNotFoundError,
  RunCancelledError,
  RunNotFoundError,
} from './errors.ts';
import { executeRun } from './execute.ts';
import { specFromFlags } from './flags.ts';
import { jsonLinesLogger, type LogFormat, parseLogFormat } from './json-logger.ts';
import { serveMetrics } from './metrics/serve-metrics.ts';
import { createWorkerMetrics } from './metrics/worker-metrics.ts';
import { DEFAULT_QUEUE } from './queue-common.ts';
import { loadRunSpec, resolveSpecPaths } from './spec.ts';
import { stderrLogger, terminalOutput } from './terminal.ts';
import { createWorker } from './worker.ts';

/** Exit codes: 0 ok, 1 the container (or run) failed, 2 bad input, 130 cancelled. */
const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;

async function readSpec(source: string): Promise<{ json: unknown; baseDir: string }> {
  let text: string;
  try {
    text =
      source === '-'
        ? await new Response(process.stdin as unknown as ReadableStream).text()
        : await readFile(source, 'utf8');
  } catch (error) {
    throw new BadInputError(source, `cannot read the spec: ${(error as Error).message}`, { cause: error });
  }
  try {
    return { json: JSON.parse(text), baseDir: source === '-' ? process.cwd() : dirname(resolve(source)) };
  } catch (error) {
    throw new BadInputError(
      source === '-' ? 'stdin' : source,
      `not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

function exitCodeOf(error: unknown): number {
  if (isRunCancelledError(error) || isJobCanceledError(error)) return EXIT.cancelled;
  if (isSpecValidationError(error) || isBadInputError(error) || isRunNotFoundError(error))
    return EXIT.badInput;
  return EXIT.failed;
}

function report(error: unknown): void {
  if (isRunCancelledError(error))
    process.stderr.write(
      `girder-worker: ${error.message}; the container was stopped and everything cleaned up\n`,
    );
  else if (isSpecValidationError(error))
    process.stderr.write(`girder-worker: invalid run spec: ${error.message}\n`);
  else if (isDockerRunError(error) || isImageNotFoundError(error) || isRunFailedError(error))
    process.stderr.write(`girder-worker: ${(error as Error).message}\n`);
  else process.stderr.write(`girder-worker: ${error instanceof Error ? error.message : String(error)}\n`);
}

const program = new Command()
  .name('girder-worker')
  .description('Run Docker containers with data moved in and out for them (girder_worker docker_run).')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

program
  .command('run')
  .description('run one spec in-process (no broker); Ctrl-C cancels cleanly')
  .argument('[spec]', 'run spec JSON file, or - for stdin')
  .argument('[args...]', 'container arguments (with --image), after --')
  .option('--image <image>', 'build the spec from flags: the image to run')
  .option('--volume <host:ctr[:ro]>', 'mount a host directory (repeatable)', collect, [])
  .option(
    '--input <NAME=path>',
    'stream a host file into named pipe NAME; {NAME} in args is its path (repeatable)',
    collect,
    [],
  )
  .option(
    '--output <NAME=path>',
    'stream named pipe NAME into a host file; {NAME} in args is its path (repeatable)',
    collect,
    [],
  )
  .option('--env <K=V>', 'environment variable (repeatable)', collect, [])
  .option('--no-pull', 'do not pull the image (it must be present)')
  .option('--json', 'print one JSON result object on stdout (container output goes to stderr)')
  .option(
    '--stop-grace-ms <ms>',
    'on cancel, wait this long after SIGTERM before killing',
    (v) => Number.parseInt(v, 10),
    10_000,
  )
  .option('--verbose', 'log what the worker does')
  .action(
    async (
      specPath: string | undefined,
      args: string[],
      flags: {
        image?: string;
        volume: string[];
        input: string[];
        output: string[];
        env: string[];
        pull: boolean;
        json?: boolean;
        verbose?: boolean;
        stopGraceMs: number;
      },
    ) => {
      let json: unknown;
      let baseDir = process.cwd();
      if (flags.image) {
        json = specFromFlags(
          { ...flags, image: flags.image },
          specPath === undefined ? args : [specPath, ...args],
        );
      } else if (specPath) {
        ({ json, baseDir } = await readSpec(specPath));
      } else {
        throw new BadInputError(
          'spec',
          'give a spec file (or - for stdin), or --image with arguments after --',
        );
      }
      if (!(flags.stopGraceMs >= 0)) throw new BadInputError('--stop-grace-ms', 'expected an integer >= 0');
      const spec = loadRunSpec(json, { baseDir });
      const controller = new AbortController();
      let interrupted = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        interrupted++;
        if (interrupted > 1) process.exit(EXIT.cancelled);
        process.stderr.write(`\ngirder-worker: ${signal}: cancelling (again to quit at once)…\n`);
        controller.abort(new RunCancelledError(`${signal} received`));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const output = terminalOutput({ json: Boolean(flags.json) });
      const started = Date.now();
      try {
        const result = await executeRun(spec, {
          signal: controller.signal,
          reporter: output.reporter,
          onEvent: output.onEvent,
          logger: stderrLogger(Boolean(flags.verbose)),
          stopGraceMs: flags.stopGraceMs,
          ...(process.env.GIRDER_TOKEN ? { girderToken: process.env.GIRDER_TOKEN } : {}),
        });
        output.done();
        const durationMs = Date.now() - started;
        if (flags.json) {
          const { exitCode, containerId, results } = result;
          process.stdout.write(`${JSON.stringify({ exitCode, containerId, durationMs, results })}\n`);
        } else {
          process.stderr.write(
            `girder-worker: container ${result.containerId.slice(0, 12)} of ${spec.options.image} exited with code 0 in ${(durationMs / 1000).toFixed(2)} s\n`,
          );
          for (const [i, value] of result.results.entries()) {
            const shown = typeof value === 'string' ? value : JSON.stringify(value);
            process.stderr.write(`girder-worker: result ${i}: ${shown}\n`);
          }
        }
      } catch (error) {
        output.done();
        if (controller.signal.aborted && !isRunCancelledError(error))
          throw new RunCancelledError(String(controller.signal.reason?.message ?? 'signal'), {
            cause: error,
          });
        throw error;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  );

program
  .command('worker')
  .description('take runs from a BullMQ queue on Redis (run as many as you like, on any machines)')
  .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
  .option('--queue <name>', 'queue name', DEFAULT_QUEUE)
  .option('--concurrency <n>', 'runs at once', (v) => Number.parseInt(v, 10), 1)
  .addOption(
    new Option('--on-sigterm <what>', 'on SIGTERM, finish or cancel running runs')
      .choices(['finish', 'cancel'])
      .default('finish'),
  )
  .option(
    '--lock-duration-ms <ms>',
    'lock of a running run (a dead worker is noticed after it)',
    (v) => Number.parseInt(v, 10),
    30_000,
  )
  .option(
    '--reap-interval-ms <ms>',
    'how often containers of dead workers are removed',
    (v) => Number.parseInt(v, 10),
    60_000,
  )
  .option(
    '--stop-grace-ms <ms>',
    'on cancel, wait this long after SIGTERM before killing a container',
    (v) => Number.parseInt(v, 10),
    10_000,
  )
  .option('--verbose', 'log what the worker does')
  .option(
    '--log-format <format>',
    'text, or json: one JSON object per line (logs and container output)',
    parseLogFormat,
    'text',
  )
  .option('--metrics-port <port>', 'serve Prometheus metrics at http://<metrics-host>:<port>/metrics', (v) =>
    Number.parseInt(v, 10),
  )
  .option('--metrics-host <address>', 'address of the metrics endpoint', '127.0.0.1')
  .action(
    async (flags: {
      redis: string;
      queue: string;
      concurrency: number;
      onSigterm: 'finish' | 'cancel';
      lockDurationMs: number;
      reapIntervalMs: number;
      stopGraceMs: number;
      verbose?: boolean;
      logFormat: LogFormat;
      metricsPort?: number;
      metricsHost: string;
    }) => {
      const json = flags.logFormat === 'json';
      const logger = json
        ? jsonLinesLogger((line) => process.stderr.write(line), { verbose: Boolean(flags.verbose) })
        : stderrLogger(Boolean(flags.verbose));
      const metrics = flags.metricsPort === undefined ? undefined : await createWorkerMetrics();
      const worker = await createWorker({
        ...(metrics ? { onEvent: metrics.onEvent } : {}),
        redisUrl: flags.redis,
        queue: flags.queue,
        concurrency: flags.concurrency,
        logger,
        lockDurationMs: flags.lockDurationMs,
        reapIntervalMs: flags.reapIntervalMs,
        stopGraceMs: flags.stopGraceMs,
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
          ? await serveMetrics(metrics.registry, { port: flags.metricsPort, host: flags.metricsHost })
          : undefined;
      const started = `worker ${worker.id} takes runs from queue ${flags.queue} (concurrency ${flags.concurrency})`;
      if (json) logger.warn(started, { workerId: worker.id, queue: flags.queue, metrics: scrape?.url });
      else {
        process.stderr.write(`girder-worker: ${started}\n`);
        if (scrape) process.stderr.write(`girder-worker: metrics at ${scrape.url}\n`);
      }
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
    },
  );

program
  .command('dashboard')
  .description('show the queue in a browser (Bull Board): runs, workers, containers, logs, failures')
  .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
  .option('--queue <name>', 'queue name', DEFAULT_QUEUE)
  .option('--port <port>', 'port to listen on', (v) => Number.parseInt(v, 10), 3000)
  .option(
    '--host <address>',
    'address to listen on (keep loopback unless the network is trusted)',
    '127.0.0.1',
  )
  .option('--read-only', 'no retry or remove from the page')
  .action(async (flags: { redis: string; queue: string; port: number; host: string; readOnly?: boolean }) => {
    const { startDashboard } = await import('./dashboard/server.ts');
    const dashboard = await startDashboard({
      redisUrl: flags.redis,
      queue: flags.queue,
      port: flags.port,
      host: flags.host,
      readOnly: Boolean(flags.readOnly),
    });
    process.stdout.write(`girder-worker: dashboard of queue ${flags.queue} at ${dashboard.url}\n`);
    await new Promise<void>((done, fail) => {
      const stop = (): void => void dashboard.close().then(done, fail);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  });

program
  .command('submit')
  .description('queue a run spec')
  .argument('<spec>', 'run spec JSON file, or -')
  .requiredOption('--redis <url>', 'Redis URL')
  .option('--queue <name>', 'queue name', DEFAULT_QUEUE)
  .option('--wait', 'wait until the run has finished')
  .option('--json', 'print JSON')
  .action(
    async (specPath: string, flags: { redis: string; queue: string; wait?: boolean; json?: boolean }) => {
      const { json, baseDir } = await readSpec(specPath);
      // Relative host paths are taken from the spec's directory here, not the worker's.
      const id = await submitRun({
        redisUrl: flags.redis,
        queue: flags.queue,
        spec: resolveSpecPaths(json, baseDir),
        ...(process.env.GIRDER_TOKEN ? { girderToken: process.env.GIRDER_TOKEN } : {}),
      });
      if (!flags.wait) {
        process.stdout.write(flags.json ? `${JSON.stringify({ id })}\n` : `${id}\n`);
        return;
      }
      const controller = new AbortController();
      const stopWaiting = (): void =>
        controller.abort(
          new RunCancelledError(
            `stopped waiting for run ${id} (it goes on; cancel it with: girder-worker cancel ${id})`,
          ),
        );
      process.once('SIGINT', stopWaiting);
      const result = await waitForRun(id, {
        redisUrl: flags.redis,
        queue: flags.queue,
        signal: controller.signal,
      }).finally(() => process.off('SIGINT', stopWaiting));
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ id, ...result })}\n`
          : `${id} exited with code ${result.exitCode} on ${result.worker}\n`,
      );
    },
  );

program
  .command('status')
  .description('show the state of a queued run')
  .argument('<id>', 'run id')
  .requiredOption('--redis <url>', 'Redis URL')
  .option('--queue <name>', 'queue name', DEFAULT_QUEUE)
  .action(async (id: string, flags: { redis: string; queue: string }) => {
    const status = await getRunStatus(id, { redisUrl: flags.redis, queue: flags.queue });
    if (!status) throw new RunNotFoundError(id, flags.queue);
    process.stdout.write(`${JSON.stringify(status)}\n`);
  });

program
  .command('cancel')
  .description('cancel a queued or running run')
  .argument('<id>', 'run id')
  .requiredOption('--redis <url>', 'Redis URL')
  .option('--queue <name>', 'queue name', DEFAULT_QUEUE)
  .action(async (id: string, flags: { redis: string; queue: string }) => {
    const outcome = await cancelRun(id, { redisUrl: flags.redis, queue: flags.queue });
    process.stdout.write(`${outcome}\n`);
    if (outcome === 'unknown') process.exitCode = EXIT.badInput;
  });

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : EXIT.badInput);
  }
  report(error);
  process.exit(exitCodeOf(error));
}
