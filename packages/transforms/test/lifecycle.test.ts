import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CleanupError,
  createTransformContext,
  GirderWorkerError,
  isCleanupError,
  isTransformError,
  ResultTransform,
  type RunResultInfo,
  runExceptionHooks,
  runResultHooks,
  TemporaryVolume,
  type TransformContext,
  transformArguments,
  VolumePath,
  walk,
} from '../src/index.ts';
import { Probe } from './helpers.ts';

afterEach(() => assertNoLeaks({ containers: false }));

async function withRunVolume<T>(fn: (ctx: TransformContext) => Promise<T>): Promise<T> {
  const volume = new TemporaryVolume();
  await volume.create();
  try {
    return await fn(createTransformContext({ temporaryVolume: volume }));
  } finally {
    await volume.remove();
  }
}

describe('transformArguments', () => {
  it('transforms in order through nested arrays and objects and cleans up in reverse order', async () => {
    const events: string[] = [];
    const a = new Probe('a', events);
    const b = new Probe('b', events);
    const c = new Probe('c', events);
    await withRunVolume(async (ctx) => {
      const done = await transformArguments(['x', a, { nested: [b, { deep: c }] }], ctx);
      expect(done.values).toEqual(['x', 'value of a', { nested: ['value of b', { deep: 'value of c' }] }]);
      await done.cleanup();
      await done.cleanup();
    });
    expect(events).toEqual([
      'transform a (argument)',
      'transform b (argument)',
      'transform c (argument)',
      'cleanup c',
      'cleanup b',
      'cleanup a',
    ]);
  });

  it('cleans up what was transformed when a later transform fails, and names the failing path', async () => {
    const events: string[] = [];
    const args = [
      new Probe('a', events),
      { second: new Probe('b', events, 'transform') },
      new Probe('c', events),
    ];
    await withRunVolume(async (ctx) => {
      const error = await transformArguments(args, ctx, 'containerArgs').catch((e: unknown) => e);
      expect(isTransformError(error)).toBe(true);
      expect((error as Error).message).toBe(
        'Probe(name="b") at containerArgs[1].second failed during transform: b refused',
      );
    });
    expect(events).toEqual(['transform a (argument)', 'transform b (argument)', 'cleanup b', 'cleanup a']);
  });

  it('runs every cleanup once even when some fail, and aggregates the failures', async () => {
    const events: string[] = [];
    const shared = new Probe('shared', events, 'cleanup');
    await withRunVolume(async (ctx) => {
      const done = await transformArguments([shared, new Probe('x', events, 'cleanup'), shared], ctx);
      const error = await done.cleanup().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CleanupError);
      expect(error).toBeInstanceOf(GirderWorkerError);
      expect(isCleanupError(error)).toBe(true);
      const cleanup = error as CleanupError;
      expect(cleanup.code).toBe('GW_CLEANUP_FAILED');
      expect(cleanup.errors).toHaveLength(2);
      expect(cleanup.cause).toBe(cleanup.errors[0]);
      expect(cleanup.message).toBe(
        `2 cleanup step(s) failed; first: ${(cleanup.errors[0] as Error).message}`,
      );
    });
    expect(events.filter((e) => e.startsWith('cleanup'))).toEqual(['cleanup x', 'cleanup shared']);
  });

  it('stops before the next transform once the signal aborts', async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const volume = new TemporaryVolume();
    await volume.create();
    const ctx = createTransformContext({ temporaryVolume: volume, signal: controller.signal });
    const aborting = new (class extends Probe {
      override transform(c: TransformContext): string {
        controller.abort(new Error('cancelled by test'));
        return super.transform(c);
      }
    })('aborting', events);
    const error = await transformArguments([aborting, new Probe('never', events)], ctx).catch(
      (e: unknown) => e,
    );
    await volume.remove();
    expect((error as Error).message).toBe('cancelled by test');
    expect(events).toEqual(['transform aborting (argument)', 'cleanup aborting']);
  });

  it('creates a non-default temporary volume on first use and removes it in cleanup', async () => {
    await withRunVolume(async (ctx) => {
      const scratch = new TemporaryVolume();
      const done = await transformArguments([new VolumePath('a.txt', scratch)], ctx);
      expect(done.values[0]).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/a\.txt$/);
      expect(scratch.created).toBe(true);
      await done.cleanup();
      expect(scratch.created).toBe(false);
    });
  });
});

describe('walk', () => {
  it('hands each transform its JSON path and leaves other values alone', async () => {
    const seen: string[] = [];
    const out = await walk({ a: [1, new Probe('p', [])], b: null }, (t, path) => {
      seen.push(path);
      return t.toString();
    });
    expect(out).toEqual({ a: [1, 'Probe(name="p")'], b: null });
    expect(seen).toEqual(['a[1]']);
  });
});

class RecordingHook extends ResultTransform<string> {
  static readonly kind: string = 'RecordingHook';
  readonly events: string[];
  readonly path: VolumePath;
  constructor(events: string[], path: VolumePath) {
    super();
    this.events = events;
    this.path = path;
  }
  async transform(ctx: TransformContext, result?: RunResultInfo): Promise<string> {
    this.events.push(`hook exit=${result?.exitCode}`);
    return this.path.transform(ctx);
  }
  override exception(_ctx: TransformContext, error: unknown): void {
    this.events.push(`exception ${(error as Error).message}`);
  }
  toJSON(): Record<string, unknown> {
    return { path: this.path };
  }
}

describe('result and exception hooks', () => {
  it('runs hooks in phase result, where a VolumePath is the host path', async () => {
    const events: string[] = [];
    await withRunVolume(async (ctx) => {
      const path = new VolumePath('out/result.txt');
      const args = await transformArguments([path], ctx);
      expect(args.values[0]).toBe(`${ctx.temporaryVolume.containerPath}/out/result.txt`);
      const values = await runResultHooks([new RecordingHook(events, path), 'plain'], { exitCode: 0 }, ctx);
      expect(values).toEqual([`${ctx.temporaryVolume.hostPath}/out/result.txt`, 'plain']);
      await args.cleanup();
    });
    expect(events).toEqual(['hook exit=0']);
  });

  it('runs exception hooks with the run error', async () => {
    const events: string[] = [];
    await withRunVolume(async (ctx) => {
      await runExceptionHooks([new RecordingHook(events, new VolumePath('x')), 42], new Error('exit 3'), ctx);
    });
    expect(events).toEqual(['exception exit 3']);
  });
});
