#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isDockerRunError, isImageNotFoundError } from '@girder-worker/docker';
import { isSpecValidationError, type Logger, type Reporter } from '@girder-worker/transforms';
import { Command, CommanderError, Option } from 'commander';
import { executeRun } from './execute.ts';
import { specFromFlags } from './flags.ts';
import { cancelRun, createWorker, DEFAULT_QUEUE, getRunStatus, submitRun, waitForRun } from './queue.ts';
import { loadRunSpec } from './spec.ts';

/** Exit codes: 0 ok, 1 the container (or run) failed, 2 bad input, 130 cancelled. */
const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;

class CancelledError extends Error {
  override name = 'CancelledError';
}

function stderrLogger(verbose: boolean): Logger {
  const write = (level: string) => (message: string, context?: Record<string, unknown>) => {
    if (!verbose && level === 'debug') return;
    const extra = context && Object.keys(context).length > 0 ? ` ${JSON.stringify(context)}` : '';
    process.stderr.write(`girder-worker ${level}: ${message}${extra}\n`);
  };
  return {
    debug: write('debug'),
    info: verbose ? write('info') : () => {},
    warn: write('warn'),
    error: write('error'),
  };
}

/** Container output to the terminal; progress as one updating line on a TTY. */
function terminalReporter(json: boolean): Reporter {
  const out = json ? process.stderr : process.stdout;
  return {
    log: (line, source) => (source === 'stderr' ? process.stderr : out).write(`${line}\n`),
    progress: (p) => {
      if (!process.stderr.isTTY || json) return;
      const pct = p.total ? ` ${Math.round(((p.current ?? 0) / p.total) * 100)}%` : '';
      process.stderr.write(`\r\x1b[2Kprogress${pct}${p.message ? ` ${p.message}` : ''}`);
    },
  };
}

async function readSpec(source: string): Promise<{ json: unknown; baseDir: string }> {
  const text =
    source === '-'
      ? await new Response(process.stdin as unknown as ReadableStream).text()
      : await readFile(source, 'utf8');
  try {
    return { json: JSON.parse(text), baseDir: source === '-' ? process.cwd() : dirname(resolve(source)) };
  } catch (error) {
    throw Object.assign(new Error(`${source}: not valid JSON: ${(error as Error).message}`), {
      badInput: true,
    });
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CancelledError) return EXIT.cancelled;
  if (isSpecValidationError(error) || (error as { badInput?: boolean })?.badInput) return EXIT.badInput;
  return EXIT.failed;
}

function report(error: unknown): void {
  if (error instanceof CancelledError)
    process.stderr.write('girder-worker: cancelled; the container was stopped and everything cleaned up\n');
  else if (isSpecValidationError(error))
    process.stderr.write(`girder-worker: invalid run spec: ${error.message}\n`);
  else if (isDockerRunError(error) || isImageNotFoundError(error))
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
        throw Object.assign(new Error('give a spec file (or -), or --image with arguments'), {
          badInput: true,
        });
      }
      const spec = loadRunSpec(json, { baseDir });
      const controller = new AbortController();
      let interrupted = 0;
      const onSignal = (): void => {
        interrupted++;
        if (interrupted > 1) process.exit(EXIT.cancelled);
        process.stderr.write('\ngirder-worker: cancelling…\n');
        controller.abort(new CancelledError('cancelled by signal'));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const started = Date.now();
      try {
        const result = await executeRun(spec, {
          signal: controller.signal,
          reporter: terminalReporter(Boolean(flags.json)),
          logger: stderrLogger(Boolean(flags.verbose)),
          stopGraceMs: flags.stopGraceMs,
          ...(process.env.GIRDER_TOKEN ? { girderToken: process.env.GIRDER_TOKEN } : {}),
          onEvent: (event) => {
            if (event.type === 'stream' && !flags.json)
              process.stderr.write(`girder-worker: ${event.name} moved ${event.bytes} bytes\n`);
          },
        });
        const durationMs = Date.now() - started;
        if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, durationMs })}\n`);
        else
          process.stderr.write(
            `girder-worker: container ${result.containerId.slice(0, 12)} of ${spec.options.image} exited with code 0 in ${(durationMs / 1000).toFixed(2)} s\n`,
          );
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
  .option('--verbose', 'log what the worker does')
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
    }) => {
      if (!(flags.concurrency >= 1))
        throw Object.assign(new Error('--concurrency: expected an integer >= 1'), { badInput: true });
      const logger = stderrLogger(Boolean(flags.verbose));
      const worker = await createWorker({
        redisUrl: flags.redis,
        queue: flags.queue,
        concurrency: flags.concurrency,
        logger,
        lockDurationMs: flags.lockDurationMs,
        stalledIntervalMs: Math.max(1000, Math.floor(flags.lockDurationMs / 2)),
        reapIntervalMs: flags.reapIntervalMs,
        stopGraceMs: flags.stopGraceMs,
        onLine: (runId, line, source) =>
          process.stdout.write(`[${runId}${source === 'stderr' ? ' stderr' : ''}] ${line}\n`),
      });
      process.stderr.write(
        `girder-worker: worker ${worker.id} takes runs from queue ${flags.queue} (concurrency ${flags.concurrency})\n`,
      );
      await new Promise<void>((done) => {
        const stop = (cancel: boolean) => () => {
          process.stderr.write(
            `girder-worker: stopping (${cancel ? 'cancelling' : 'finishing'} running runs)\n`,
          );
          void worker.close({ cancel }).then(done);
        };
        process.once('SIGTERM', stop(flags.onSigterm === 'cancel'));
        process.once('SIGINT', stop(true));
      });
    },
  );

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
      const spec = loadRunSpec(json, { baseDir });
      void spec;
      const resolved = JSON.parse(JSON.stringify(json, (_k, v) => v));
      const id = await submitRun({
        redisUrl: flags.redis,
        queue: flags.queue,
        spec: absolutize(resolved, baseDir),
        ...(process.env.GIRDER_TOKEN ? { girderToken: process.env.GIRDER_TOKEN } : {}),
      });
      if (!flags.wait) {
        process.stdout.write(flags.json ? `${JSON.stringify({ id })}\n` : `${id}\n`);
        return;
      }
      const result = await waitForRun(id, { redisUrl: flags.redis, queue: flags.queue });
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
    if (!status) throw Object.assign(new Error(`no run with id ${id}`), { badInput: true });
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

/** Host paths relative to the spec file become absolute before the spec travels to a worker. */
function absolutize(json: unknown, baseDir: string): unknown {
  return JSON.parse(JSON.stringify(json), function (this: Record<string, unknown>, key, value) {
    if (
      typeof value === 'string' &&
      typeof this.$transform === 'string' &&
      ['hostPath', 'hostDir', 'path'].includes(key) &&
      !value.startsWith('/')
    ) {
      return resolve(baseDir, value);
    }
    return value;
  });
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
