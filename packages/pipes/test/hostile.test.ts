import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertNoLeaks, assertUnchanged, makeTempDir, snapshotFiles } from '@girder-worker/test-helpers';
import {
  BindMountVolume,
  createTransformContext,
  isTransformError,
  TemporaryVolume,
  type TransformContext,
  transformArguments,
} from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isFifoReplacedError,
  isMkfifoError,
  mkfifo,
  NamedInputPipe,
  NamedOutputPipe,
  openFifoReader,
  ProgressPipe,
} from '../src/index.ts';
import { collector, createDataContainer } from './helpers.ts';

const started: Docker.Container[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.remove({ force: true }).catch(() => {})));
  await assertNoLeaks();
});

async function context(): Promise<{ ctx: TransformContext; done: () => Promise<void> }> {
  const temporaryVolume = new TemporaryVolume({ hostDir: await makeTempDir() });
  await temporaryVolume.create();
  return { ctx: createTransformContext({ temporaryVolume }), done: () => temporaryVolume.remove() };
}

/** Runs `sh -c script` in the test image with `dir` at /data; resolves with the exit code. */
async function hostileContainer(dir: string, script: string): Promise<number> {
  const container = await createDataContainer(dir, ['sh', '-c', script], 'pipes-hostile');
  started.push(container);
  await container.start();
  // After start: a short script may be done already, which 'next-exit' would wait past.
  return ((await container.wait({ condition: 'not-running' })) as { StatusCode: number }).StatusCode;
}

describe('a pipe name that collides with an existing file (issue 12 case 2)', () => {
  it.each([
    [
      'a NamedInputPipe in an explicit host folder',
      (dir: string) => new NamedInputPipe('important.csv', { hostPath: dir, containerPath: '/data' }),
    ],
    [
      'a NamedOutputPipe on a BindMountVolume',
      (dir: string) => new NamedOutputPipe('important.csv', { volume: new BindMountVolume(dir, '/data') }),
    ],
    [
      'a ProgressPipe with its default name',
      (dir: string) => new ProgressPipe(undefined, { volume: new BindMountVolume(dir, '/data') }),
    ],
  ])('fails %s and leaves the user file alone', async (_label, make) => {
    const dir = await makeTempDir();
    const pipe = make(dir);
    const name = pipe instanceof ProgressPipe ? '.girder_progress' : 'important.csv';
    await writeFile(join(dir, name), 'user data\n');
    await writeFile(join(dir, 'other.txt'), 'more user data\n');
    const before = await snapshotFiles(dir);
    const { ctx, done } = await context();
    try {
      const error = await transformArguments([pipe], ctx, 'containerArgs').catch((e: unknown) => e);
      expect(isTransformError(error)).toBe(true);
      expect(isMkfifoError((error as { cause?: unknown }).cause)).toBe(true);
      expect((error as Error).message).toContain(join(dir, name));
      // A second cleanup (as a runner's finally would do) must not remove it either.
      await pipe.cleanup?.(ctx);
      await assertUnchanged(before);
      expect(await readFile(join(dir, name), 'utf8')).toBe('user data\n');
    } finally {
      await done();
    }
  });
});

describe('the host end of a pipe the container swapped (issue 12 case 8)', () => {
  it('never writes the run input into a host FIFO the container linked in its place', async () => {
    const dir = await makeTempDir();
    const victimDir = await makeTempDir();
    const victim = join(victimDir, 'other.fifo');
    await mkfifo(victim, { mode: 0o666 });
    const pipe = new NamedInputPipe('in.fifo', { hostPath: dir, containerPath: '/data' });
    const { ctx, done } = await context();
    try {
      const args = await transformArguments([pipe], ctx);
      expect(args.values).toEqual(['/data/in.fifo']);
      const before = await snapshotFiles(victimDir);
      // Another process on the host is reading its own FIFO.
      let writerDone: () => void = () => {};
      const settled = new Promise<void>((resolve) => {
        writerDone = resolve;
      });
      const other = collector();
      const reading = pipeline(
        openFifoReader(victim, { until: settled, onMissingWriter: 'end' }),
        other.sink,
      );
      const exitCode = await hostileContainer(dir, `rm /data/in.fifo && ln -s ${victim} /data/in.fifo`);
      expect(exitCode).toBe(0);
      const writing = pipeline(
        Readable.from([Buffer.from('the run input, not for anyone else\n')]),
        pipe.openWriter(ctx, { until: Promise.resolve() }),
      ).catch((e: unknown) => e);
      const error = await writing;
      writerDone();
      await reading;
      expect(isFifoReplacedError(error), String(error)).toBe(true);
      expect((error as Error).message).toContain('a symbolic link');
      expect(other.data().length).toBe(0);
      await args.cleanup();
      // The link is not ours: cleanup leaves it (it is in the run's folder), and the victim is untouched.
      expect(await readdir(dir)).toEqual(['in.fifo']);
      await assertUnchanged(before);
    } finally {
      await done();
    }
  });

  it('refuses to read another FIFO the container made in place of ours, and does not remove it', async () => {
    const dir = await makeTempDir();
    await mkdir(join(dir, 'sub'));
    const pipe = new NamedOutputPipe('out.fifo', { hostPath: dir, containerPath: '/data' });
    const { ctx, done } = await context();
    try {
      const args = await transformArguments([pipe], ctx);
      const exitCode = await hostileContainer(dir, 'rm /data/out.fifo && mkfifo /data/out.fifo');
      expect(exitCode).toBe(0);
      const error = await pipeline(
        pipe.openReader(ctx, { until: Promise.resolve() }),
        collector().sink,
      ).catch((e: unknown) => e);
      expect(isFifoReplacedError(error), String(error)).toBe(true);
      expect((error as Error).message).toContain('another named pipe');
      await args.cleanup();
      expect((await readdir(dir)).sort()).toEqual(['out.fifo', 'sub']);
    } finally {
      await done();
    }
  });

  it('still removes its own FIFO after a normal run', async () => {
    const dir = await makeTempDir();
    const pipe = new NamedInputPipe('in.fifo', { hostPath: dir, containerPath: '/data' });
    const { ctx, done } = await context();
    try {
      const args = await transformArguments([pipe], ctx);
      expect(await readdir(dir)).toEqual(['in.fifo']);
      await args.cleanup();
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await done();
    }
  });
});

describe('strict revival of pipes kinds (issue 12 case 7)', () => {
  it('refuses unknown fields in pipes transforms, naming the JSON path', async () => {
    const { createRegistry, revive } = await import('@girder-worker/transforms');
    const { pipesKinds } = await import('../src/index.ts');
    const registry = createRegistry(pipesKinds);
    expect(() =>
      revive(
        { $transform: 'NamedInputPipe', name: 'in', hostPath: '/h', containerPath: '/c', hostpath: '/other' },
        registry,
        'containerArgs[1]',
      ),
    ).toThrow('containerArgs[1].hostpath: expected no such field on a NamedInputPipe');
    expect(() =>
      revive(
        {
          $transform: 'ProgressPipe',
          volume: { $transform: 'BindMountVolume', hostPath: '/h', containerPath: '/c', Mode: 'ro' },
        },
        registry,
        'containerArgs[0]',
      ),
    ).toThrow('containerArgs[0].volume.Mode: expected no such field on a BindMountVolume');
  });
});
