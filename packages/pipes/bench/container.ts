// The benches' container side: the local test image with a host directory mounted at /data,
// driven through dockerode as the docker runner does (create → start → drive the FIFO → wait).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_IMAGE } from '@girder-worker/test-helpers/docker';
import { createTransformContext, TemporaryVolume, type TransformContext } from '@girder-worker/transforms';
import Docker from 'dockerode';

export const MiB: number = 1 << 20;
const docker = new Docker();

/** A run context whose temporary volume lives under `dir` (the pipes bench passes explicit dirs). */
export async function benchContext(dir: string): Promise<TransformContext> {
  const temporaryVolume = new TemporaryVolume({ hostDir: await mkdtemp(join(dir, 'vol-')) });
  return createTransformContext({ temporaryVolume });
}

/**
 * Creates and starts a container running `cmd` with `dir` at /data, calls `drive(exited)` (which
 * moves the bytes on the host side), and resolves with the container's exit code once both are
 * done. The container is removed whatever happens.
 * @returns milliseconds from the host side's start to the container's exit, and the exit code
 */
export async function withContainer(
  dir: string,
  cmd: string[],
  drive: (exited: Promise<unknown>) => Promise<void>,
): Promise<{ ms: number; exitCode: number }> {
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: cmd,
    HostConfig: { Binds: [`${dir}:/data`], NetworkMode: 'none' },
    Labels: { 'org.girder-worker.bench': 'pipes' },
  });
  try {
    const exited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    await container.start();
    const started = performance.now();
    await drive(exited);
    const { StatusCode } = await exited;
    return { ms: performance.now() - started, exitCode: StatusCode };
  } finally {
    await container.remove({ force: true });
  }
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function inTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
