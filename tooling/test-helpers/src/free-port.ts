import { connect, createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (the kernel picks it; free at the time of the call). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Opens a TCP connection to 127.0.0.1:`port`, writes `hello` and resolves with the first bytes
 * the server sends back, or `undefined` when the connection is refused, closed or silent for 2 s.
 */
export function probeTcp(port: number, hello: Buffer | string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (value: Buffer | undefined): void => {
      socket.destroy();
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), 2000);
    socket.once('connect', () => socket.write(hello));
    socket.once('data', (chunk: Buffer) => done(chunk));
    socket.once('error', () => done(undefined));
    socket.once('close', () => done(undefined));
  });
}

/**
 * Polls `check` every `intervalMs` until it returns a truthy value, and resolves with that value;
 * fails naming `what` after `timeoutMs`.
 *
 * @param check - the condition, sync or async
 * @param what - what is awaited, for the error, e.g. `'the worker to start'`
 * @param timeoutMs - how long to wait before failing
 * @param intervalMs - the pause between two checks
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
