import { spawn } from 'node:child_process';
import { freePort, probeTcp, waitFor } from './free-port.ts';

/** A private redis-server started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>/0`. */
  url: string;
  /** Its loopback port. */
  port: number;
  /** Stops the server (SIGTERM, then waits for it to exit). Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /**
   * The loopback port, e.g. that of a server stopped before, to start it again.
   * @default a free port
   */
  port?: number;
}

/**
 * Starts a private `redis-server` on a 127.0.0.1 port (a free one unless `options.port`), without
 * persistence, and waits until it answers PING.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    })();
    return stopped;
  };
  try {
    await waitFor(
      async () => (await probeTcp(port, 'PING\r\n'))?.toString().startsWith('+PONG'),
      `redis-server on 127.0.0.1:${port}`,
      15_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}/0`, port, stop };
}
