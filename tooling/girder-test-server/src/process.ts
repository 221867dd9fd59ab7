import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

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
  /** Stops the process; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the Girder test server in its own Node process — for benchmarks, where a client and a
 * server sharing one event loop would measure each other.
 */
export async function startGirderTestServerProcess(
  options: { checksums?: boolean } = {},
): Promise<GirderTestServerProcess> {
  const script = fileURLToPath(new URL('../bin/serve.ts', import.meta.url));
  const child = spawn(process.execPath, [script, ...(options.checksums ? ['--checksums'] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
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
