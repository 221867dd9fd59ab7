import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SeedResult } from './seed.ts';

/** A test server running in a child process (so it does not share the caller's event loop). */
export interface GirderTestServerProcess extends AsyncDisposable {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** url + '/api/v1' */
  readonly apiUrl: string;
  /** An admin token. */
  readonly token: string;
  /** The admin's private folder. */
  readonly privateFolderId: string;
  /** The admin's public folder. */
  readonly publicFolderId: string;
  /** The admin's id, login, password, token and API key. */
  readonly admin: {
    _id: string;
    login: string;
    password: string;
    token: string;
    apiKey: string;
    privateFolderId: string;
    publicFolderId: string;
  };
  /** What the seed file created (with `seedFile`). */
  readonly seed?: SeedResult;
  /** The control routes and their token (with `control: true`). */
  readonly control?: { url: string; token: string };
  /** Stops the process; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the Girder test server in its own Node process (`bin/serve.ts`) — for benchmarks, where a
 * client and a server sharing one event loop would measure each other, and for tests that drive it
 * from outside through its control routes.
 *
 * @param options - `checksums` (default false here), `control` (default false), `seedFile` (a JSON seed).
 * @returns The running process; `close()` it (or `await using`).
 * @throws Error when the process exits before printing its line (its stderr is inherited).
 */
export async function startGirderTestServerProcess(
  options: { checksums?: boolean; control?: boolean; seedFile?: string } = {},
): Promise<GirderTestServerProcess> {
  const script = fileURLToPath(new URL('../bin/serve.ts', import.meta.url));
  const args = [
    ...(options.checksums ? ['--checksums'] : []),
    ...(options.control ? ['--control'] : []),
    ...(options.seedFile === undefined ? [] : ['--seed', options.seedFile]),
  ];
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffered = '';
  const [line] = await new Promise<string[]>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      if (buffered.includes('\n')) resolve(buffered.split('\n'));
    });
    child.once('exit', (code) => reject(new Error(`the test server process exited with ${code}`)));
  });
  const info = JSON.parse(line as string) as Omit<
    GirderTestServerProcess,
    'close' | typeof Symbol.asyncDispose
  >;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    })();
    return closed;
  };
  return { ...info, close, [Symbol.asyncDispose]: close };
}
