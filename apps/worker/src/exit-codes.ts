import { hasErrorIdentity, isSpecValidationError } from '@girder-worker/transforms';
import { cliSecrets } from './cli-secrets.ts';
import { isBadInputError, isCancellation, isRunCancelledError, isRunNotFoundError } from './errors.ts';

/** The CLI's exit codes: 0 ok, 1 the container (or run) failed, 2 bad input, 124 timed out, 130 cancelled. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, timedOut: 124, cancelled: 130 } as const;

/**
 * Whether `error` is `@girder-worker/celery`'s refusal of a `--broker`/`--backend` URL
 * (`InvalidBrokerUrlError`) or of a worker option (`InvalidWorkerOptionsError`), both thrown before
 * anything connects; by identity, so that the app's start does not load that package.
 */
function isCeleryBadInput(error: unknown): boolean {
  return (
    hasErrorIdentity(error, 'InvalidBrokerUrlError', 'GW_CELERY_INVALID_BROKER_URL') ||
    hasErrorIdentity(error, 'InvalidWorkerOptionsError', 'GW_CELERY_INVALID_WORKER_OPTIONS')
  );
}

/**
 * The exit code for an error that ended a command.
 * @param error - what the command failed with
 * @returns 130 for a cancellation, 124 for a time limit, 2 for bad input (also a Celery broker URL
 * or worker option refused) or an unknown run, else 1 (an unreachable broker too)
 */
export function exitCodeOf(error: unknown): number {
  if (isCancellation(error)) return EXIT.cancelled;
  // 124, as coreutils' timeout(1) exits: a run that reached its time limit, here or on a worker.
  if (
    hasErrorIdentity(error, 'RunTimeoutError', 'GW_RUN_TIMED_OUT') ||
    (error as { failureCode?: unknown } | null)?.failureCode === 'GW_RUN_TIMED_OUT'
  )
    return EXIT.timedOut;
  if (
    isSpecValidationError(error) ||
    isBadInputError(error) ||
    isRunNotFoundError(error) ||
    isCeleryBadInput(error)
  )
    return EXIT.badInput;
  return EXIT.failed;
}

/**
 * Makes control characters visible (`\x1b`, `\x07`…), keeping newlines and tabs: text from a
 * container (its stderr tail) cannot move the cursor, retitle the terminal or hide lines.
 * @param text - any text
 * @returns the text with each control character written as `\xNN`
 */
function neutralizeControls(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    const control = (code < 0x20 && char !== '\n' && char !== '\t') || (code >= 0x7f && code <= 0x9f);
    out += control ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  }
  return out;
}

/**
 * The one line (or the few, for a container's stderr tail) the CLI prints for an error that ended a
 * command: secrets masked, control characters made visible.
 * @param error - what the command failed with
 * @returns the text, without the trailing newline
 */
export function describeFailure(error: unknown): string {
  const message = neutralizeControls(
    cliSecrets.redact(error instanceof Error ? error.message : String(error)),
  );
  if (isRunCancelledError(error))
    return `girder-worker: ${message}; the container was stopped and everything cleaned up`;
  if (isSpecValidationError(error)) return `girder-worker: invalid run spec: ${message}`;
  return `girder-worker: ${message}`;
}
