import type { TaskHandler } from '@girder-worker/celery';
import type { WorkerEvent } from './worker.ts';

/** The image of a docker_run message, from its display header (`argsrepr` is `('my/image',)`). */
function imageOf(headers: Readonly<Record<string, unknown>>): string {
  const shown = typeof headers.argsrepr === 'string' ? headers.argsrepr : '';
  return /^\(\s*'([^']+)'/.exec(shown)?.[1] ?? 'unknown';
}

/**
 * A Celery task handler that reports each task as the BullMQ worker reports its runs (`taken`,
 * `settled` with succeeded/failed/cancelled), so one set of Prometheus metrics serves both
 * commands. The task itself is untouched.
 *
 * @param handler - the handler that runs tasks
 * @param onEvent - where the events go (e.g. `createWorkerMetrics().onEvent`)
 * @returns the metered handler
 */
export function meteredHandler(handler: TaskHandler, onEvent: (event: WorkerEvent) => void): TaskHandler {
  return async (message, context) => {
    const image = imageOf(message.headers);
    const takenAt = Date.now();
    onEvent({ type: 'taken', runId: context.taskId, image });
    const outcome = await handler(message, context);
    if (outcome.status !== 'SKIPPED') {
      const result =
        outcome.status === 'SUCCESS' ? 'succeeded' : outcome.status === 'REVOKED' ? 'cancelled' : 'failed';
      onEvent({
        type: 'settled',
        runId: context.taskId,
        image,
        outcome: result,
        durationMs: Date.now() - takenAt,
      });
    }
    return outcome;
  };
}
