import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { makeTempDir, TEST_IMAGE, testDocker } from '@girder-worker/test-helpers';
import type Docker from 'dockerode';
import { onTestFinished } from 'vitest';
import { mkfifo } from '../src/mkfifo.ts';

/** A fresh FIFO in a test-owned directory (removed with the directory). */
export async function makeFifo(name = 'pipe'): Promise<string> {
  const dir = await makeTempDir();
  const path = join(dir, name);
  await mkfifo(path);
  return path;
}

/** Runs `sh -c script` (stdin, stdout, stderr piped) and kills it when the test ends if still running. */
export function sh(
  script: string,
  env: Record<string, string> = {},
): ChildProcess & { exited: Promise<number>; output: Promise<string> } {
  const child = spawn('sh', ['-c', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = once(child, 'exit').then(([code]) => code as number);
  // Collected from the start: Node discards unread child output once the child exits.
  const output = (async () => {
    let text = '';
    for await (const chunk of child.stdout) text += String(chunk);
    return text;
  })();
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited.catch(() => {});
    }
  });
  return Object.assign(child, { exited, output });
}

/** A child's whole stdout as text (see {@link sh}). */
export function stdoutOf(child: { output: Promise<string> }): Promise<string> {
  return child.output;
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A sink that keeps every chunk it is given (as a PassThrough would), and their bytes joined. */
export function collector(): { sink: Writable; data(): Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  return { sink, data: () => Buffer.concat(parts) };
}

/**
 * Creates (does not start) a test-image container running `cmd` with `dir` at /data, no network,
 * labelled as a girder-worker run of this test run's worker id (so leak checks see it). The caller
 * removes it.
 */
export function createDataContainer(
  dir: string,
  cmd: string[],
  runPrefix: string,
): Promise<Docker.Container> {
  return testDocker().createContainer({
    Image: TEST_IMAGE,
    Cmd: cmd,
    Labels: {
      'org.girder-worker.run': `${runPrefix}-${Date.now()}`,
      'org.girder-worker.worker': process.env.GW_WORKER_ID ?? 'pipes-test',
    },
    HostConfig: { Binds: [`${dir}:/data`], NetworkMode: 'none' },
  });
}

/**
 * {@link createDataContainer}, recorded in `started` (the caller removes those), then started,
 * with its exit code asked for before the start (`next-exit`).
 */
export async function startDataContainer(
  dir: string,
  cmd: string[],
  runPrefix: string,
  started: Docker.Container[],
): Promise<{ container: Docker.Container; exited: Promise<number> }> {
  const container = await createDataContainer(dir, cmd, runPrefix);
  started.push(container);
  const exited = container
    .wait({ condition: 'next-exit' })
    .then((result: { StatusCode: number }) => result.StatusCode);
  await container.start();
  return { container, exited };
}
