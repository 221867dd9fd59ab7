import type { Command } from 'commander';
import { cliSecrets } from '../cli-secrets.ts';
import { asRunCancelled, BadInputError, RunCancelledError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { readSpec } from '../read-spec.ts';
import type { StatusLine } from '../terminal-output.ts';
import { collect, integer, registryAuthOf } from './options.ts';

interface RunFlags {
  image?: string;
  volume: string[];
  input: string[];
  output: string[];
  env: string[];
  pull?: boolean | string;
  timeoutMs?: number;
  memory?: string;
  cpus?: string;
  shmSize?: string;
  pidsLimit?: number;
  registryAuth?: string;
  json?: boolean;
  verbose?: boolean;
  stopGraceMs: number;
}

/**
 * `girder-worker run`: one spec in-process (no broker), from a file, stdin or flags; Ctrl-C
 * cancels cleanly.
 * @param program - the program to add it to
 */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run one spec in-process (no broker); Ctrl-C cancels cleanly')
    .argument('[spec]', 'run spec JSON file, or - for stdin')
    .argument('[args...]', 'container arguments (with --image), after --')
    .option('--image <image>', 'build the spec from flags: the image to run')
    .option('--volume <host:ctr[:ro]>', 'mount a host directory (repeatable)', collect, [])
    .option(
      '--input <NAME=path>',
      'stream a host file into named pipe NAME; {NAME} in args is its path (repeatable)',
      collect,
      [],
    )
    .option(
      '--output <NAME=path>',
      'stream named pipe NAME into a host file; {NAME} in args is its path (repeatable)',
      collect,
      [],
    )
    .option('--env <K=V>', 'environment variable (repeatable)', collect, [])
    .option(
      '--pull <policy>',
      "when to pull the image: always, if-not-present or never (default: the spec's, else always)",
    )
    .option('--no-pull', 'do not pull the image (it must be present): --pull never')
    .option(
      '--timeout-ms <ms>',
      'stop the container after this long; the run fails as timed out (exit 124)',
      integer,
    )
    .option('--memory <size>', 'memory limit, e.g. 512m or 4g')
    .option('--cpus <n>', 'CPU limit, e.g. 1.5')
    .option('--shm-size <size>', 'size of /dev/shm, e.g. 1g')
    .option('--pids-limit <n>', 'most processes and threads at once', integer)
    .option(
      '--registry-auth <file>',
      'registry credentials, JSON { username, password, serveraddress } (default: ~/.docker/config.json)',
    )
    .option('--json', 'print one JSON result object on stdout (container output goes to stderr)')
    .option('--stop-grace-ms <ms>', 'on cancel, wait this long after SIGTERM before killing', integer, 10_000)
    .option('--verbose', 'log what the worker does')
    .action(runAction);
}

async function specJson(
  specPath: string | undefined,
  args: string[],
  flags: RunFlags,
): Promise<{ json: unknown; baseDir: string }> {
  if (flags.image) {
    const { specFromFlags } = await import('./run-parts.ts');
    const all = specPath === undefined ? args : [specPath, ...args];
    return { json: specFromFlags({ ...flags, image: flags.image }, all), baseDir: process.cwd() };
  }
  if (specPath) return readSpec(specPath);
  throw new BadInputError('spec', 'give a spec file (or - for stdin), or --image with arguments after --');
}

/** A byte size flag (`512m`, `4g`) as bytes. */
async function sizeFlag(value: string, flag: string): Promise<number> {
  const { parseByteSize } = await import('@girder-worker/docker');
  const bytes = parseByteSize(value);
  if (bytes === undefined || bytes <= 0)
    throw new BadInputError(flag, `expected a size such as 512m or 4g, got ${value}`);
  return bytes;
}

/** The run flags that hold for any spec (a file, stdin or the shorthand): they override its fields. */
async function withRunFlags(json: unknown, flags: RunFlags): Promise<unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const spec: Record<string, unknown> = { ...(json as Record<string, unknown>) };
  if (flags.pull !== undefined) spec.pullImage = flags.pull;
  if (flags.timeoutMs !== undefined) spec.timeoutMs = flags.timeoutMs;
  const resources: Record<string, unknown> = {
    ...(typeof spec.resources === 'object' && spec.resources !== null ? spec.resources : {}),
  };
  if (flags.memory !== undefined) resources.memoryBytes = await sizeFlag(flags.memory, '--memory');
  if (flags.shmSize !== undefined) resources.shmSizeBytes = await sizeFlag(flags.shmSize, '--shm-size');
  if (flags.cpus !== undefined) resources.cpus = Number(flags.cpus);
  if (flags.pidsLimit !== undefined) resources.pidsLimit = flags.pidsLimit;
  if (Object.keys(resources).length > 0) spec.resources = resources;
  return spec;
}

/** A live status line on a terminal (log-update is loaded only then). */
async function statusLine(json: boolean): Promise<StatusLine | undefined> {
  if (json || !process.stdout.isTTY) return undefined;
  const { createLogUpdate } = await import('log-update');
  return createLogUpdate(process.stdout);
}

async function runAction(specPath: string | undefined, args: string[], flags: RunFlags): Promise<void> {
  const read = await specJson(specPath, args, flags);
  const json = await withRunFlags(read.json, flags);
  const { baseDir } = read;
  const registryAuth = await registryAuthOf(flags.registryAuth);
  if (!(flags.stopGraceMs >= 0)) throw new BadInputError('--stop-grace-ms', 'expected an integer >= 0');
  const { loadRunSpec, executeRun, terminalOutput, stderrLogger } = await import('./run-parts.ts');
  const spec = loadRunSpec(json, { baseDir });
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted++;
    if (interrupted > 1) process.exit(EXIT.cancelled);
    process.stderr.write(`\ngirder-worker: ${signal}: cancelling (again to quit at once)…\n`);
    controller.abort(new RunCancelledError(`${signal} received`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const output = terminalOutput({ json: Boolean(flags.json), status: await statusLine(Boolean(flags.json)) });
  const started = Date.now();
  try {
    const result = await executeRun(spec, {
      signal: controller.signal,
      reporter: {
        log: (line, source) => output.reporter.log(cliSecrets.redact(line), source),
        progress: (progress) => output.reporter.progress(progress),
      },
      onEvent: output.onEvent,
      logger: stderrLogger(Boolean(flags.verbose)),
      stopGraceMs: flags.stopGraceMs,
      ...(registryAuth ? { registryAuth } : {}),
      ...(process.env.GIRDER_TOKEN ? { girderToken: process.env.GIRDER_TOKEN } : {}),
    });
    output.done();
    const durationMs = Date.now() - started;
    if (flags.json) {
      const { exitCode, containerId, results } = result;
      process.stdout.write(`${JSON.stringify({ exitCode, containerId, durationMs, results })}\n`);
      return;
    }
    process.stderr.write(
      `girder-worker: container ${result.containerId.slice(0, 12)} of ${spec.options.image} exited with code 0 in ${(durationMs / 1000).toFixed(2)} s\n`,
    );
    for (const [i, value] of result.results.entries()) {
      const shown = typeof value === 'string' ? value : JSON.stringify(value);
      process.stderr.write(`girder-worker: result ${i}: ${shown}\n`);
    }
  } catch (error) {
    output.done();
    throw asRunCancelled(error, controller.signal) ?? error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
