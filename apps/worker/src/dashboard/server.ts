import type { AddressInfo } from 'node:net';
import type { Logger } from '@girder-worker/transforms';
import { silentLogger } from '@girder-worker/transforms';
import { BadInputError } from '../errors.ts';
import { connectionOf, normalizeConnection, type QueueConnection } from '../queue-common.ts';
import { runDisplayName, summarizeRunData } from './run-summary.ts';

/** Options of {@link startDashboard}. */
export interface DashboardOptions extends QueueConnection {
  /**
   * Address to listen on. Anyone who reaches the page can see every run and (unless `readOnly`)
   * retry or remove them: keep it on loopback unless the network is trusted.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Port to listen on (0: any free port).
   * @default 3000
   */
  port?: number;
  /**
   * Show runs only: no retry, remove, clean, pause or add from the page.
   * @default false
   */
  readOnly?: boolean;
  /** @default silent */
  logger?: Logger;
}

/** A running dashboard. */
export interface Dashboard extends AsyncDisposable {
  /** The page's address, e.g. `http://127.0.0.1:3000/`. */
  readonly url: string;
  /** Stops the server and closes its queue connection. Idempotent. */
  close(): Promise<void>;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new BadInputError('port', `expected an integer from 0 to 65535, got ${String(port)}`);
  return port;
}

/**
 * Serves the queue's runs in a browser, on Bull Board: waiting, active, completed, failed and
 * delayed runs with their image, transforms by kind, worker, container, progress, logs and failure
 * reasons; retry and remove from the page unless read-only. Job data is summarised before it is
 * shown, so Girder tokens in a run's data never reach the page.
 *
 * @param options - Redis URL and queue, address, read-only mode
 * @returns the running dashboard; `close()` it (or `await using`)
 * @throws {@link BadInputError} naming the option
 * @example
 * ```ts
 * await using dashboard = await startDashboard({ redisUrl: 'redis://127.0.0.1:6379', port: 0 });
 * console.log(`open ${dashboard.url}`);
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { redisUrl, queue: name } = normalizeConnection(options);
  const port = checkPort(options.port ?? 3000);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new BadInputError('host', 'expected an address');
  const logger = options.logger ?? silentLogger;
  // Loaded here only: the board, its UI and the HTTP server are not needed by any other command.
  const [{ Queue }, { createBullBoard }, { BullMQAdapter }, { HonoAdapter }, { Hono }, node, statics] =
    await Promise.all([
      import('bullmq'),
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/hono'),
      import('hono'),
      import('@hono/node-server'),
      import('@hono/node-server/serve-static'),
    ]);
  const queue = new Queue(name, { connection: connectionOf(redisUrl) });
  const readOnlyMode = options.readOnly ?? false;
  const adapter = new BullMQAdapter(queue, {
    readOnlyMode,
    allowRetries: !readOnlyMode,
    displayName: name,
    description: 'girder-worker runs',
  });
  adapter.setFormatter('data', summarizeRunData);
  adapter.setFormatter('name', runDisplayName);
  const board = new HonoAdapter(statics.serveStatic);
  createBullBoard({
    queues: [adapter],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'girder-worker', hideDocsLink: true } },
  });
  board.setBasePath('/');
  const app = new Hono();
  app.route('/', board.registerPlugin());
  const server = await new Promise<ReturnType<typeof node.serve>>((resolve, reject) => {
    const s = node.serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}/`;
  logger.info('dashboard listening', { url, queue: name, readOnly: readOnlyMode });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
    })();
    return closed;
  };
  return { url, close, [Symbol.asyncDispose]: close };
}
