/**
 * The seam between the broker side (taking messages off Redis or RabbitMQ, acks, revokes,
 * control, results) and the task side (decoding a `docker_run` message and running it).
 * A broker hands each message to a {@link TaskHandler}; the handler settles with a
 * {@link TaskOutcome}, and only then is the message acknowledged.
 */

import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/** One Celery message as a broker delivered it, before any jsonpickle decoding. */
export interface RawCeleryMessage {
  /** Celery protocol v2 headers (`task`, `id`, `timelimit`, `jobInfoSpec`, `girder_*`, …). */
  headers: Readonly<Record<string, unknown>>;
  /** Message properties that matter to a consumer. */
  properties: {
    /** The task id (Celery sets it to `headers.id`). */
    correlationId?: string;
    /** The rpc result backend's reply queue. */
    replyTo?: string;
    /** 0 to 9 (kombu Redis: 0, 3, 6, 9). */
    priority?: number;
    /** True when the broker delivers it again (AMQP redelivered, kombu's restored flag). */
    redelivered?: boolean;
  };
  /** `application/json` for every girder_worker message. */
  contentType: string;
  /** `utf-8`. */
  contentEncoding: string;
  /** The body bytes (on Redis already base64-decoded). */
  body: Buffer;
}

/** What a handler is given besides the message. */
export interface TaskContext {
  /** The task id (`headers.id`). */
  taskId: string;
  /**
   * Aborted when the task is revoked (reason: a {@link TaskRevokedError}) or the worker shuts
   * down with cancel.
   */
  signal: AbortSignal;
}

/** How a task ended; the broker side acknowledges the message and stores the result after it. */
export type TaskOutcome =
  | { status: 'SUCCESS'; result: unknown }
  | { status: 'FAILURE'; error: { type: string; message: string } }
  | { status: 'REVOKED' }
  /** Not run: e.g. a redelivered message whose Girder job is already final. */
  | { status: 'SKIPPED'; reason: string };

/** Runs one message to its end. Never throws for a task's own failure: it returns FAILURE. */
export type TaskHandler = (message: RawCeleryMessage, context: TaskContext) => Promise<TaskOutcome>;

/** The abort reason of a task revoked through Celery's `revoke` broadcast. */
export class TaskRevokedError extends GirderWorkerError {
  override readonly name = 'TaskRevokedError' as const;
  /** Stable code. */
  override readonly code = 'GW_CELERY_TASK_REVOKED' as const;
  /** The revoked task id. */
  readonly taskId: string;
  /** Whether the revoke asked to terminate a running task. */
  readonly terminate: boolean;
  /**
   * @param taskId - the revoked task
   * @param terminate - `terminate` of the revoke request
   */
  constructor(taskId: string, terminate: boolean) {
    super('GW_CELERY_TASK_REVOKED', `task ${taskId} was revoked`);
    this.taskId = taskId;
    this.terminate = terminate;
  }
}

/** True for a {@link TaskRevokedError}, also from another copy of this package. */
export function isTaskRevokedError(value: unknown): value is TaskRevokedError {
  return hasErrorIdentity(value, 'TaskRevokedError', 'GW_CELERY_TASK_REVOKED');
}
