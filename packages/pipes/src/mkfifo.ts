import { execFile } from 'node:child_process';
import { MkfifoError } from './errors.ts';

/** Options of {@link mkfifo}. */
export interface MkfifoOptions {
  /**
   * Permission bits of the FIFO, applied exactly (not filtered by the umask).
   * @default 0o600
   */
  mode?: number;
  /** Aborts the `mkfifo` process. */
  signal?: AbortSignal;
  /**
   * The program to run (a name looked up on PATH, or an absolute path).
   * @default 'mkfifo'
   */
  command?: string;
}

interface NormalizedMkfifoOptions {
  mode: number;
  signal: AbortSignal | undefined;
  command: string;
}

function normalize(options: MkfifoOptions): NormalizedMkfifoOptions {
  const mode = options.mode ?? 0o600;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new TypeError(`mkfifo options.mode: expected an integer from 0 to 0o7777, got ${String(mode)}`);
  }
  const command = options.command ?? 'mkfifo';
  if (typeof command !== 'string' || command === '') {
    throw new TypeError(`mkfifo options.command: expected a non-empty string, got ${String(command)}`);
  }
  return { mode, signal: options.signal, command };
}

/**
 * Creates a named pipe (FIFO) with the system's `mkfifo` command.
 *
 * @param path - Where to create it; the directory must exist and the path must not.
 * @param options - Mode, signal and command; see {@link MkfifoOptions}.
 * @returns Resolves once the FIFO exists.
 * @throws {@link MkfifoError} when `mkfifo` is missing or fails (message from the command).
 * @throws TypeError (as a rejection) on an empty path or a bad option.
 * @throws The signal's reason when aborted.
 * @example
 * ```ts
 * await mkfifo('/tmp/work/in.fifo', { mode: 0o666 });
 * ```
 */
export function mkfifo(path: string, options: MkfifoOptions = {}): Promise<void> {
  let normalized: NormalizedMkfifoOptions;
  try {
    normalized = normalize(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const { mode, signal, command } = normalized;
  if (typeof path !== 'string' || path === '') {
    return Promise.reject(new TypeError(`mkfifo path: expected a non-empty string, got ${String(path)}`));
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    execFile(
      command,
      ['-m', mode.toString(8), '--', path],
      { signal, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (error, _stdout, stderr) => {
        if (!error) {
          resolve();
          return;
        }
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(
            new MkfifoError(
              path,
              `cannot create the named pipe ${path}: the '${command}' command was not found on PATH; ` +
                'install coreutils (or busybox) so that mkfifo is available',
              { cause: error },
            ),
          );
          return;
        }
        reject(
          new MkfifoError(
            path,
            `cannot create the named pipe ${path}: ${stderr.trim() || error.message}; check that its directory ` +
              'exists, is writable, and that nothing exists at that path yet',
            { cause: error },
          ),
        );
      },
    );
  });
}
