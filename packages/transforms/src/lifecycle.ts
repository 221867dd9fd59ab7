import type { TransformContext } from './context.ts';
import { withPhase } from './context.ts';
import { CleanupError, TransformError } from './errors.ts';
import { fieldPath } from './field-reader.ts';
import { ResultTransform, type RunResultInfo, Transform } from './transform.ts';
import { findTransforms, walk } from './walk.ts';

/** What {@link transformArguments} gives back. */
export interface TransformedArguments<T> {
  /** The arguments with every transform replaced by its value. */
  readonly values: T;
  /** The transforms that were transformed (or tried), and everything they hold. */
  readonly transforms: readonly Transform[];
  /**
   * Runs every cleanup exactly once, in reverse order, even when some fail.
   * @throws {@link CleanupError} holding every failure
   */
  cleanup(): Promise<void>;
}

/**
 * Runs `cleanup` of each transform once, in the given order; every step runs even when one fails.
 * Transforms in `done` are skipped, and each cleaned one is added to it.
 *
 * @throws {@link CleanupError} with every failure
 */
export async function cleanupTransforms(
  transforms: readonly Transform[],
  ctx: TransformContext,
  done: WeakSet<Transform> = new WeakSet(),
): Promise<void> {
  const errors: unknown[] = [];
  for (const transform of transforms) {
    if (done.has(transform)) continue;
    done.add(transform);
    if (typeof transform.cleanup !== 'function') continue;
    try {
      await transform.cleanup(ctx);
    } catch (error) {
      ctx.logger.warn('cleanup failed', { transform: transform.toString(), error: String(error) });
      errors.push(new TransformError(transform.toString(), '', 'cleanup', error));
    }
  }
  if (errors.length > 0) throw new CleanupError(errors);
}

/**
 * Transforms every transform in `args` (through nested arrays and plain objects), one at a time;
 * an instance met twice is transformed once and gives the same value.
 * If one fails, the ones already transformed are cleaned up and the failure is thrown as a
 * {@link TransformError} naming the transform and its path.
 *
 * @param args - arguments holding transforms anywhere
 * @param ctx - the run's context (phase `argument`)
 * @param path - JSON path of `args` for error messages (e.g. `containerArgs`)
 */
export async function transformArguments<T>(
  args: T,
  ctx: TransformContext,
  path = '',
): Promise<TransformedArguments<T>> {
  const attempted: Transform[] = [];
  const memo = new Map<Transform, Promise<unknown>>();
  const cleanupAll = async (): Promise<void> => {
    // Reverse order of transformation: later arguments first, a holder before what it holds.
    await cleanupTransforms(findTransforms(attempted).reverse(), ctx);
  };
  let values: unknown;
  try {
    values = await walk(
      args,
      async (transform, at) => {
        // An instance met twice (e.g. one pipe passed twice) is transformed once.
        const known = memo.get(transform);
        if (known) return known;
        ctx.signal.throwIfAborted();
        attempted.push(transform);
        const value = (async () => {
          try {
            return await transform.transform(ctx);
          } catch (error) {
            if (ctx.signal.aborted && error === ctx.signal.reason) throw error;
            throw new TransformError(transform.toString(), at, 'transform', error);
          }
        })();
        memo.set(transform, value);
        return value;
      },
      path,
    );
  } catch (error) {
    await cleanupAll().catch((cleanupError: unknown) => {
      ctx.logger.warn('cleanup after a failed transform also failed', { error: String(cleanupError) });
    });
    throw error;
  }
  let cleaned: Promise<void> | undefined;
  return {
    values: values as T,
    transforms: findTransforms(attempted),
    cleanup: () => {
      cleaned ??= cleanupAll();
      return cleaned;
    },
  };
}

/**
 * Runs result hooks in order, in phase `result` (VolumePath gives host paths). A hook that is not
 * a transform is returned as it is. The first failure stops the hooks and is thrown as a
 * {@link TransformError}.
 *
 * @returns each hook's value, in order
 */
export async function runResultHooks(
  hooks: readonly unknown[],
  result: RunResultInfo,
  ctx: TransformContext,
): Promise<unknown[]> {
  const resultCtx = withPhase(ctx, 'result');
  const values: unknown[] = [];
  for (let i = 0; i < hooks.length; i++) {
    const hook = hooks[i];
    if (!(hook instanceof Transform)) {
      values.push(hook);
      continue;
    }
    ctx.signal.throwIfAborted();
    try {
      values.push(
        hook instanceof ResultTransform
          ? await hook.transform(resultCtx, result)
          : await hook.transform(resultCtx),
      );
    } catch (error) {
      throw new TransformError(hook.toString(), fieldPath('resultHooks', i), 'result hook', error);
    }
  }
  return values;
}

/**
 * Runs `exception` of every result hook that has one (the run failed). Every hook runs; failures
 * are logged and collected.
 *
 * @throws {@link CleanupError} when some exception hooks failed
 */
export async function runExceptionHooks(
  hooks: readonly unknown[],
  error: unknown,
  ctx: TransformContext,
): Promise<void> {
  const resultCtx = withPhase(ctx, 'result');
  const errors: unknown[] = [];
  for (let i = 0; i < hooks.length; i++) {
    const hook = hooks[i];
    if (!(hook instanceof ResultTransform) || typeof hook.exception !== 'function') continue;
    try {
      await hook.exception(resultCtx, error);
    } catch (hookError) {
      ctx.logger.warn('exception hook failed', { hook: hook.toString(), error: String(hookError) });
      errors.push(
        new TransformError(hook.toString(), fieldPath('resultHooks', i), 'exception hook', hookError),
      );
    }
  }
  if (errors.length > 0) throw new CleanupError(errors);
}
