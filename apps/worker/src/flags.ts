import { resolve } from 'node:path';
import { SpecValidationError } from '@girder-worker/transforms';

/** What the `run` flags shorthand gives. */
export interface RunFlags {
  /** The image to run. */
  image: string;
  /** `host:container[:ro|rw]` directories to mount; a relative host path is taken from `cwd`. */
  volume?: string[];
  /** `NAME=path`: the host file streams into named pipe NAME. */
  input?: string[];
  /** `NAME=path`: named pipe NAME streams into the host file. */
  output?: string[];
  /** `K=V` environment variables. */
  env?: string[];
  /** When to pull the image: true/`always`, `if-not-present`, false/`never`. @default true */
  pull?: boolean | string;
}

function pair(value: string, flag: string, index: number): [string, string] {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1)
    throw new SpecValidationError(`--${flag}[${index}]`, 'NAME=value', value);
  return [value.slice(0, at), value.slice(at + 1)];
}

/**
 * Builds a run spec (plain JSON) from the flags shorthand: `--volume host:ctr[:ro]`,
 * `--input NAME=path` (the file streams into a named pipe NAME), `--output NAME=path` (a named
 * pipe NAME streams into the file), `--env K=V`; each `{NAME}` in the arguments becomes that
 * pipe's container path.
 *
 * @param flags - the parsed flags
 * @param args - the container arguments (after `--`)
 * @param cwd - directory relative host paths are taken from @default process.cwd()
 * @returns the spec as JSON, ready for {@link loadRunSpec} or a queue
 * @throws `SpecValidationError` naming the flag (e.g. `--volume[0]`)
 */
export function specFromFlags(
  flags: RunFlags,
  args: readonly string[],
  cwd: string = process.cwd(),
): Record<string, unknown> {
  const pipes = new Map<string, unknown>();
  (flags.input ?? []).forEach((value, i) => {
    const [name, path] = pair(value, 'input', i);
    pipes.set(name, {
      $transform: 'Connect',
      input: { $transform: 'HostFileSource', path: resolve(cwd, path) },
      output: { $transform: 'NamedInputPipe', name },
    });
  });
  (flags.output ?? []).forEach((value, i) => {
    const [name, path] = pair(value, 'output', i);
    pipes.set(name, {
      $transform: 'Connect',
      input: { $transform: 'NamedOutputPipe', name },
      output: { $transform: 'HostFileSink', path: resolve(cwd, path) },
    });
  });
  const used = new Set<string>();
  const containerArgs = args.map((arg) => {
    const match = /^\{([^{}]+)\}$/.exec(arg);
    if (match?.[1] && pipes.has(match[1])) {
      used.add(match[1]);
      return pipes.get(match[1]);
    }
    return arg;
  });
  // Pipes not named in the arguments still stream (the container finds them by convention).
  const streamConnectors = [...pipes].filter(([name]) => !used.has(name)).map(([, connect]) => connect);
  const volumes: Record<string, { bind: string; mode: string }> = {};
  (flags.volume ?? []).forEach((value, i) => {
    const [host, container, mode = 'rw', ...rest] = value.split(':');
    if (!host || !container || rest.length > 0 || (mode !== 'ro' && mode !== 'rw')) {
      throw new SpecValidationError(`--volume[${i}]`, 'host:container[:ro|rw]', value);
    }
    volumes[resolve(cwd, host)] = { bind: container, mode };
  });
  const environment = Object.fromEntries((flags.env ?? []).map((value, i) => pair(value, 'env', i)));
  return {
    image: flags.image,
    pullImage: flags.pull ?? true,
    containerArgs,
    ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
    ...(Object.keys(environment).length > 0 ? { environment } : {}),
    ...(streamConnectors.length > 0 ? { streamConnectors } : {}),
  };
}
