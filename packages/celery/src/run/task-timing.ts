import { setTimeout as sleep } from 'node:timers/promises';
import type { CeleryTask } from '../protocol/parse-message.ts';
import { TaskTimeLimitError } from './errors.ts';

/** Waits until `eta` (Celery's countdown); false when the signal aborted first. */
export async function waitUntil(eta: Date, signal: AbortSignal): Promise<boolean> {
  const ms = eta.getTime() - Date.now();
  if (ms <= 0) return true;
  return sleep(ms, undefined, { signal }).then(
    () => true,
    () => false,
  );
}

/** A signal that aborts at the task's time limit; `clear` stops its timer. */
export function timeLimit(task: CeleryTask): { signal: AbortSignal | undefined; clear: () => void } {
  const { hardSeconds, softSeconds } = task.timelimit;
  const soft = softSeconds !== undefined && (hardSeconds === undefined || softSeconds < hardSeconds);
  const seconds = soft ? softSeconds : hardSeconds;
  if (seconds === undefined) return { signal: undefined, clear: () => {} };
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new TaskTimeLimitError(seconds, soft ? 'soft' : 'hard')),
    seconds * 1000,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
