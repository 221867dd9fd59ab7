import type { TaskOutcome } from '../task.ts';

/** The Celery states a stored result can have. */
export type CeleryState = 'SUCCESS' | 'FAILURE' | 'REVOKED';

/** An exception as Celery's JSON result serializer writes it (`prepare_exception`). */
export interface SerializedException {
  exc_type: string;
  exc_message: string[];
  exc_module: string | null;
}

/** A result: state, value (or serialized exception) and traceback text. */
export interface ResultMeta {
  status: CeleryState;
  result: unknown;
  traceback: string | null;
}

/** Celery's exception for `NotRegistered` (an unknown task name). */
export function notRegistered(taskName: string): ResultMeta {
  return {
    status: 'FAILURE',
    result: { exc_type: 'NotRegistered', exc_message: [`'${taskName}'`], exc_module: 'celery.exceptions' },
    traceback: null,
  };
}

/**
 * The result Celery would store for `outcome`, or `undefined` for SKIPPED (nothing to store:
 * the run that finished the job stored it). A FAILURE's `type` is not a Python class: it goes
 * with `exc_module: null`, which Celery's `exception_to_python` turns into a class of that name.
 */
export function resultMeta(outcome: TaskOutcome): ResultMeta | undefined {
  switch (outcome.status) {
    case 'SUCCESS':
      return { status: 'SUCCESS', result: outcome.result ?? null, traceback: null };
    case 'FAILURE':
      return {
        status: 'FAILURE',
        result: {
          exc_type: outcome.error.type,
          exc_message: [outcome.error.message],
          exc_module: null,
        } satisfies SerializedException,
        traceback: `${outcome.error.type}: ${outcome.error.message}\n`,
      };
    case 'REVOKED':
      return {
        status: 'REVOKED',
        result: { exc_type: 'TaskRevokedError', exc_message: ['revoked'], exc_module: 'celery.exceptions' },
        traceback: null,
      };
    case 'SKIPPED':
      return undefined;
  }
}
