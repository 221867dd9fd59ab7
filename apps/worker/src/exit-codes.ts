import { isSpecValidationError } from '@girder-worker/transforms';
import { isBadInputError, isCancellation, isRunCancelledError, isRunNotFoundError } from './errors.ts';

/** The CLI's exit codes: 0 ok, 1 the container (or run) failed, 2 bad input, 130 cancelled. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;

/**
 * The exit code for an error that ended a command.
 * @param error - what the command failed with
 * @returns 130 for a cancellation, 2 for bad input or an unknown run, else 1
 */
export function exitCodeOf(error: unknown): number {
  if (isCancellation(error)) return EXIT.cancelled;
  if (isSpecValidationError(error) || isBadInputError(error) || isRunNotFoundError(error))
    return EXIT.badInput;
  return EXIT.failed;
}

/**
 * The one line (or the few, for a container's stderr tail) the CLI prints for an error that ended a
 * command.
 * @param error - what the command failed with
 * @returns the text, without the trailing newline
 */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (isRunCancelledError(error))
    return `girder-worker: ${message}; the container was stopped and everything cleaned up`;
  if (isSpecValidationError(error)) return `girder-worker: invalid run spec: ${message}`;
  return `girder-worker: ${message}`;
}
