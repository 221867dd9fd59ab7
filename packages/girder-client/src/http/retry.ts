import { isGirderHttpError, isGirderNetworkError } from '../errors.ts';
import type { NormalizedRetry } from '../options.ts';

/** Statuses retried with backoff (idempotent requests and upload chunks). */
export const RETRY_STATUSES: readonly number[] = [429, 502, 503, 504];

/**
 * Whether a failure is worth another attempt: no answer at all, or a 429/502/503/504.
 * @param error - what the attempt threw
 * @returns true for a {@link GirderNetworkError} or a retryable {@link GirderHttpError}
 */
export function isRetryable(error: unknown): boolean {
  if (isGirderNetworkError(error)) return true;
  return isGirderHttpError(error) && RETRY_STATUSES.includes(error.status);
}

/**
 * Backoff delay before retry number `attempt`: 200 ms doubling, capped by the policy.
 * @param attempt - 1-based retry number
 * @param retry - the policy
 * @returns milliseconds to wait
 */
export function backoffMs(attempt: number, retry: NormalizedRetry): number {
  return Math.min(retry.backoffLimitMs, 200 * 2 ** (attempt - 1));
}

/**
 * Waits `ms`, or rejects with the signal's reason (its listener removed when the timer wins).
 * @param ms - milliseconds
 * @param signal - cancels the wait
 * @returns a promise settled after the wait
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
