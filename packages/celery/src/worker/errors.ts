/** Invalid worker options; names the option, what was expected and what came. */
export class InvalidWorkerOptionsError extends Error {
  override readonly name: 'InvalidWorkerOptionsError' = 'InvalidWorkerOptionsError' as const;
  /** Stable code. */
  readonly code: 'INVALID_WORKER_OPTIONS' = 'INVALID_WORKER_OPTIONS' as const;
}

/** The abort reason of a task the worker cancelled because it was closing with `cancel`. */
export class WorkerShutdownError extends Error {
  override readonly name: 'WorkerShutdownError' = 'WorkerShutdownError' as const;
  /** Stable code. */
  readonly code: 'WORKER_SHUTDOWN' = 'WORKER_SHUTDOWN' as const;
  /** The cancelled task. */
  readonly taskId: string;
  /** @param taskId - the cancelled task */
  constructor(taskId: string) {
    super(`task ${taskId} was cancelled because the worker is shutting down`);
    this.taskId = taskId;
  }
}
