import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@girder-worker/test-helpers';
import { onTestFinished } from 'vitest';

/** The built CLI. */
export const CLI: string = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** What a finished CLI process printed. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; the process is killed when the test ends if still alive. */
export function startCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): ChildProcess & { result: Promise<CliResult>; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  const result = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return Object.assign(child, { result, output: () => stdout + stderr });
}

/** Runs the CLI to the end. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<CliResult> {
  return startCli(args, options).result;
}

/**
 * A free loopback port below the kernel's ephemeral range, so that no `listen(0)` of a test running
 * beside this one (which always gets an ephemeral port) can take it while it is briefly unused:
 * for a server stopped and started again on the same port, or a port that must stay closed.
 */
export async function freePortOutsideEphemeralRange(): Promise<number> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const top = Math.max(2048, Math.min(low, 32768)) - 1;
  for (;;) {
    const port = 1024 + Math.floor(Math.random() * (top - 1024));
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

/**
 * A Girder (or a proxy in front of one) that echoes each request back in its error body: every
 * request gets a 400 whose Girder message lists the request's headers and URL, token included.
 * Listens on loopback; closed when the test ends.
 */
export async function startEchoingGirder(): Promise<{ apiUrl: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createHttpServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        message: `Invalid request ${request.method} ${request.url}; headers were ${JSON.stringify(request.headers)}`,
        type: 'rest',
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { apiUrl: `http://127.0.0.1:${port}/api/v1`, seen };
}

/** Starts `girder-worker worker` processes on a queue (short lock and reap timings for tests). */
export function startWorkers(
  redisUrl: string,
  queue: string,
  count: number,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): ReturnType<typeof startCli>[] {
  return Array.from({ length: count }, () =>
    startCli(
      [
        'worker',
        '--redis',
        redisUrl,
        '--queue',
        queue,
        '--concurrency',
        '2',
        '--lock-duration-ms',
        '3000',
        '--reap-interval-ms',
        '1000',
        '--stop-grace-ms',
        '500',
        ...extra,
      ],
      { env },
    ),
  );
}

/** Stops worker processes (SIGTERM) and waits for them to exit. */
export async function stopWorkers(workers: ReturnType<typeof startWorkers>): Promise<void> {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.result));
}

/** Waits until each worker process says it takes runs. */
export async function workersReady(workers: ReturnType<typeof startWorkers>): Promise<void> {
  await waitFor(
    () => workers.every((w) => w.output().includes('takes runs from queue')),
    'workers to start',
    20_000,
  );
}
