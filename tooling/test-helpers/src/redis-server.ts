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

/**
 * Starts a private `redis-server` on a free 127.0.0.1 port, without persistence, and waits until
 * it answers PING.
 */
export async function startRedisServer(): Promise<RedisServerHandle> {
  const port = await freePort();
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
