import type { Command } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { integer, type QueueFlags, withQueueOptions } from './options.ts';

interface DashboardFlags extends QueueFlags {
  port: number;
  host: string;
  readOnly?: boolean;
}

/**
 * `girder-worker dashboard`: the queue in a browser (Bull Board) until SIGTERM/SIGINT.
 * @param program - the program to add it to
 */
export function registerDashboardCommand(program: Command): void {
  withQueueOptions(
    program
      .command('dashboard')
      .description('show the queue in a browser (Bull Board): runs, workers, containers, logs, failures'),
  )
    .option('--port <port>', 'port to listen on', integer, 3000)
    .option(
      '--host <address>',
      'address to listen on (keep loopback unless the network is trusted)',
      '127.0.0.1',
    )
    .option('--read-only', 'no retry or remove from the page')
    .action(dashboardAction);
}

async function dashboardAction(flags: DashboardFlags): Promise<void> {
  cliSecrets.addUrlCredentials(flags.redis);
  const { startDashboard } = await import('../dashboard/server.ts');
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
}
