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

/** The abort reason of a task that ran past its Celery time limit (`timelimit` header). */
export class TaskTimeLimitError extends Error {
  override readonly name: 'TaskTimeLimitError' = 'TaskTimeLimitError' as const;
  /** Stable code. */
  readonly code: 'TASK_TIME_LIMIT' = 'TASK_TIME_LIMIT' as const;
  /** The task. */
  readonly taskId: string;
  /** The limit, in seconds. */
  readonly limitSeconds: number;
  /**
   * @param taskId - the task
   * @param limitSeconds - the limit it exceeded
   */
  constructor(taskId: string, limitSeconds: number) {
    super(`task ${taskId} ran past its time limit of ${limitSeconds} s`);
    this.taskId = taskId;
    this.limitSeconds = limitSeconds;
  }
}
