import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/** Invalid worker options; names the option, what was expected and what came. */
export class InvalidWorkerOptionsError extends GirderWorkerError {
  override readonly name: 'InvalidWorkerOptionsError' = 'InvalidWorkerOptionsError' as const;
  /** Stable code. */
  override readonly code: 'GW_CELERY_INVALID_WORKER_OPTIONS' = 'GW_CELERY_INVALID_WORKER_OPTIONS' as const;
  /**
   * @param message - the option, what was expected and what came
   * @param options - `cause` when wrapping
   */
  constructor(message?: string, options?: ErrorOptions) {
    super('GW_CELERY_INVALID_WORKER_OPTIONS', message ?? '', options);
  }
}

/** True for an {@link InvalidWorkerOptionsError}, also from another copy of this package. */
export function isInvalidWorkerOptionsError(value: unknown): value is InvalidWorkerOptionsError {
  return hasErrorIdentity(value, 'InvalidWorkerOptionsError', 'GW_CELERY_INVALID_WORKER_OPTIONS');
}

/** The abort reason of a task the worker cancelled because it was closing with `cancel`. */
export class WorkerShutdownError extends GirderWorkerError {
  override readonly name: 'WorkerShutdownError' = 'WorkerShutdownError' as const;
  /** Stable code. */
  override readonly code: 'GW_CELERY_WORKER_SHUTDOWN' = 'GW_CELERY_WORKER_SHUTDOWN' as const;
  /** The cancelled task. */
  readonly taskId: string;
  /** @param taskId - the cancelled task */
  constructor(taskId: string) {
    super('GW_CELERY_WORKER_SHUTDOWN', `task ${taskId} was cancelled because the worker is shutting down`);
    this.taskId = taskId;
  }
}

/** True for a {@link WorkerShutdownError}, also from another copy of this package. */
export function isWorkerShutdownError(value: unknown): value is WorkerShutdownError {
  return hasErrorIdentity(value, 'WorkerShutdownError', 'GW_CELERY_WORKER_SHUTDOWN');
}
