import type { Logger } from '@girder-worker/transforms';
import { type Command, Option } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import type { WorkerMetrics } from '../metrics/worker-metrics.ts';
import { integer } from './options.ts';

/** The flags of the long-running commands (`worker`, `celery`). */
export interface ServiceFlags {
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
 * Adds the flags every long-running command shares: SIGTERM behaviour, reaping, stop grace,
 * logging, metrics and registry credentials.
 * @param command - the command
 * @param what - what it runs, for the help (`runs`, `tasks`)
 * @returns the same command
 */
export function withServiceOptions(command: Command, what: string): Command {
  return command
    .addOption(
      new Option('--on-sigterm <what>', `on SIGTERM, finish or cancel running ${what}`)
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
      '--registry-auth <file>',
      'registry credentials, JSON { username, password, serveraddress } (default: ~/.docker/config.json)',
    );
}

/**
 * The command's logger: human lines on stderr, or JSON lines with `--log-format json`; every
 * secret the CLI knows masked.
 */
export async function serviceLogger(flags: ServiceFlags): Promise<Logger> {
  const verbose = Boolean(flags.verbose);
  if (flags.logFormat !== 'json') return (await import('../stderr-logger.ts')).stderrLogger(verbose);
  const { jsonLinesLogger } = await import('../json-logger.ts');
  return jsonLinesLogger((line) => process.stderr.write(cliSecrets.redact(line)), { verbose });
}

/** Metrics when `--metrics-port` asks for them: feed `metrics.onEvent`, then `serve()` once running. */
export async function serviceMetrics(flags: ServiceFlags): Promise<{
  metrics: WorkerMetrics | undefined;
  serve: () => Promise<{ close(): Promise<void> } | undefined>;
}> {
  if (flags.metricsPort === undefined) return { metrics: undefined, serve: async () => undefined };
  const port = flags.metricsPort;
  const metrics = await (await import('../metrics/worker-metrics.ts')).createWorkerMetrics();
  return {
    metrics,
    serve: async () => {
      const { serveMetrics } = await import('../metrics/serve-metrics.ts');
      const server = await serveMetrics(metrics.registry, { port, host: flags.metricsHost });
      process.stderr.write(`girder-worker: metrics at ${server.url}\n`);
      return server;
    },
  };
}

/**
 * Waits for SIGTERM or SIGINT, then stops: SIGTERM finishes what runs (or cancels it with
 * `--on-sigterm cancel`), SIGINT cancels; a second signal calls `cancelNow`.
 * @param flags - `onSigterm`
 * @param what - what runs, for the messages (`runs`, `tasks`)
 * @param stop - stops taking work; `cancel` aborts what runs
 * @param cancelNow - cancels what still runs, at once
 */
export function untilStopped(
  flags: Pick<ServiceFlags, 'onSigterm'>,
  what: string,
  stop: (cancel: boolean) => Promise<void>,
  cancelNow: (signal: NodeJS.Signals) => void,
): Promise<void> {
  return new Promise<void>((done, fail) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`girder-worker: ${signal} again: cancelling running ${what}\n`);
        cancelNow(signal);
        return;
      }
      stopping = true;
      const cancel = signal === 'SIGINT' || flags.onSigterm === 'cancel';
      process.stderr.write(
        `girder-worker: ${signal}: no new ${what}; ${cancel ? 'cancelling' : 'finishing'} running ${what}\n`,
      );
      stop(cancel).then(done, fail);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
