import type { Logger } from '@girder-worker/transforms';
import type { CeleryBroker, Delivery } from '../brokers/broker.ts';
import { createBroker } from '../brokers/create-broker.ts';
import { LamportClock } from '../control/lamport-clock.ts';
import { startMailbox } from '../control/mailbox.ts';
import { RevokedSet } from '../control/revoked-set.ts';
import type { ActiveTaskInfo, WorkerState } from '../control/worker-state.ts';
import { createResultBackend, resultBackendKind } from '../results/create-result-backend.ts';
import type { ResultBackend } from '../results/result-backend.ts';
import { notRegistered, resultMeta } from '../results/result-meta.ts';
import { TaskTimeLimitError } from '../run/errors.ts';
import { type TaskOutcome, TaskRevokedError } from '../task.ts';
import { WorkerShutdownError } from './errors.ts';
import {
  type CeleryWorkerOptions,
  type NormalizedWorkerOptions,
  normalizeWorkerOptions,
} from './worker-options.ts';

/** A running Celery worker made by {@link createCeleryWorker}. */
export interface CeleryWorker extends AsyncDisposable {
  /** Its node name (`name@host`), as `celery inspect` lists it. */
  readonly nodeName: string;
  /** The broker it consumes from. */
  readonly broker: CeleryBroker;
  /** The tasks running now (Celery's `Request.info()` shape). */
  active(): ActiveTaskInfo[];
  /**
   * Revokes tasks locally, as a `revoke` broadcast does: later messages with these ids are
   * acknowledged without running, running ones get their signal aborted with a
   * `TaskRevokedError`. Returns the ids of the running tasks it aborted.
   */
  revoke(taskIds: readonly string[], options?: { terminate?: boolean }): string[];
  /**
   * Stops taking messages and waits for the running tasks to settle (their messages are acked as
   * usual), then closes its connections. With `cancel`, running tasks are aborted first (reason
   * {@link WorkerShutdownError}); a task that does not end in SUCCESS or FAILURE then goes back to
   * its queue for another worker. Calling it again with `cancel` while a plain close waits
   * escalates it. Idempotent.
   */
  close(options?: { cancel?: boolean }): Promise<void>;
}

interface Running {
  taskId: string;
  name: string;
  delivery: Delivery;
  controller: AbortController;
  startedAtMs: number;
  done: Promise<void>;
}

/** How long a message of an unregistered task is held before `unknownTasks: 'requeue'` gives it back. */
const REQUEUE_DELAY_MS = 1000;

function seconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Celery's `timelimit` header `[hard, soft]`: the first one reached, and which it is. */
function timeLimit(header: unknown): { seconds: number; kind: 'hard' | 'soft' } | undefined {
  if (!Array.isArray(header)) return undefined;
  const hard = seconds(header[0]);
  const soft = seconds(header[1]);
  if (soft !== undefined && (hard === undefined || soft < hard)) return { seconds: soft, kind: 'soft' };
  return hard === undefined ? undefined : { seconds: hard, kind: 'hard' };
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

class Worker implements CeleryWorker, WorkerState {
  readonly nodeName: string;
  readonly broker: CeleryBroker;
  readonly registered: readonly string[];
  readonly queues: readonly string[];
  readonly concurrency: number;
  readonly startedAtMs: number = Date.now();
  readonly clock: LamportClock = new LamportClock();
  readonly revoked: RevokedSet = new RevokedSet();
  readonly totals: Map<string, number> = new Map();
  readonly #options: NormalizedWorkerOptions;
  readonly #ownsBroker: boolean;
  readonly #backend: ResultBackend;
  readonly #logger: Logger;
  readonly #running = new Set<Running>();
  #closing: Promise<void> | undefined;
  /** Rejections under way (unregistered tasks). */
  readonly #pending = new Set<Promise<void>>();
  /** Aborted when the worker starts closing. */
  readonly #shutdown = new AbortController();

  constructor(options: NormalizedWorkerOptions, broker: CeleryBroker, ownsBroker: boolean) {
    this.#options = options;
    this.#logger = options.logger;
    this.nodeName = options.nodeName;
    this.broker = broker;
    this.#ownsBroker = ownsBroker;
    this.registered = options.tasks;
    this.queues = options.queues;
    this.concurrency = options.concurrency;
    this.#backend = createResultBackend(options.backend, broker, options.logger);
  }

  async start(): Promise<void> {
    await startMailbox(this, this.#logger);
    await this.broker.consume({
      queues: this.queues,
      prefetch: this.concurrency,
      onDelivery: (delivery) => this.#accept(delivery),
      onMalformed: (error, queue) =>
        this.#logger.error('unreadable message dropped from the queue', { queue, error: error.message }),
    });
    this.#logger.info('celery worker ready', {
      nodeName: this.nodeName,
      broker: this.broker.displayUrl,
      queues: this.queues,
      concurrency: this.concurrency,
    });
  }

  #accept(delivery: Delivery): void {
    if (this.#closing) {
      void delivery.reject(true);
      return;
    }
    const { headers } = delivery.message;
    const taskId = headers.id;
    const name = headers.task;
    if (typeof taskId !== 'string' || typeof name !== 'string') {
      this.#logger.error('message without the Celery protocol v2 headers task and id: rejected', {
        queue: delivery.queue,
      });
      void delivery.reject(false);
      return;
    }
    if (!this.registered.includes(name)) {
      const pending = this.#unknownTask(delivery, taskId, name)
        .catch((error: Error) =>
          this.#logger.error('could not reject a message', { taskId, error: error.message }),
        )
        .finally(() => this.#pending.delete(pending));
      this.#pending.add(pending);
      return;
    }
    const running: Running = {
      taskId,
      name,
      delivery,
      controller: new AbortController(),
      startedAtMs: Date.now(),
      done: Promise.resolve(),
    };
    this.#running.add(running);
    this.totals.set(name, (this.totals.get(name) ?? 0) + 1);
    running.done = this.#run(running)
      .catch((error: Error) =>
        this.#logger.error('task bookkeeping failed', { taskId, error: error.message }),
      )
      .finally(() => this.#running.delete(running));
  }

  async #unknownTask(delivery: Delivery, taskId: string, name: string): Promise<void> {
    const requeue = this.#options.unknownTasks === 'requeue';
    this.#logger.error(`Received unregistered task of type '${name}'`, {
      taskId,
      queue: delivery.queue,
      requeue,
    });
    if (!requeue) await this.#backend.store(taskId, delivery.message, notRegistered(name));
    // A requeued message comes straight back when no other worker takes it: wait a little
    // (cut short by close) so that does not become a busy loop.
    else await abortableDelay(REQUEUE_DELAY_MS, this.#shutdown.signal);
    await delivery.reject(requeue);
  }

  async #run(running: Running): Promise<void> {
    const { delivery, controller, taskId } = running;
    const { message } = delivery;
    const { headers } = message;
    const expires = typeof headers.expires === 'string' ? Date.parse(headers.expires) : Number.NaN;
    if (this.revoked.has(taskId) || expires < Date.now()) {
      // Not run: the handler sees an aborted signal (to report the cancel, as girder_worker's
      // task_revoked handler does) and must not start anything.
      controller.abort(new TaskRevokedError(taskId, false));
    }
    const eta = typeof headers.eta === 'string' ? Date.parse(headers.eta) : Number.NaN;
    if (eta > Date.now()) await abortableDelay(eta - Date.now(), controller.signal);
    const limit = timeLimit(headers.timelimit);
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(
            () => controller.abort(new TaskTimeLimitError(limit.seconds, limit.kind)),
            limit.seconds * 1000,
          );
    let outcome: TaskOutcome;
    try {
      outcome = await this.#options.handler(message, { taskId, signal: controller.signal });
    } catch (error) {
      const e = error as Error;
      outcome = {
        status: 'FAILURE',
        error: { type: e?.name ?? 'Error', message: e?.message ?? String(error) },
      };
    } finally {
      clearTimeout(timer);
    }
    const reason: unknown = controller.signal.reason;
    if (reason instanceof TaskTimeLimitError && outcome.status !== 'SUCCESS') {
      outcome = { status: 'FAILURE', error: { type: 'TimeLimitExceeded', message: reason.message } };
    }
    if (
      reason instanceof WorkerShutdownError &&
      outcome.status !== 'SUCCESS' &&
      outcome.status !== 'FAILURE'
    ) {
      this.#logger.warn('task cancelled by the shutdown: its message goes back to the queue', { taskId });
      await delivery.reject(true);
      return;
    }
    this.#logger.info('task settled', { taskId, status: outcome.status });
    const meta = resultMeta(outcome);
    if (meta && headers.ignore_result !== true) await this.#backend.store(taskId, message, meta);
    await delivery.ack();
  }

  active(): ActiveTaskInfo[] {
    return [...this.#running].map((r) => ({
      id: r.taskId,
      name: r.name,
      args:
        typeof r.delivery.message.headers.argsrepr === 'string' ? r.delivery.message.headers.argsrepr : '',
      kwargs: '{…}',
      type: r.name,
      hostname: this.nodeName,
      time_start: r.startedAtMs / 1000,
      acknowledged: false,
      delivery_info: {
        exchange: '',
        routing_key: r.delivery.queue,
        priority: r.delivery.message.properties.priority ?? 0,
        redelivered: r.delivery.message.properties.redelivered ?? false,
      },
      worker_pid: process.pid,
    }));
  }

  revoke(taskIds: readonly string[], options: { terminate?: boolean } | boolean = {}): string[] {
    const terminate = typeof options === 'boolean' ? options : options.terminate === true;
    const aborted: string[] = [];
    for (const id of taskIds) {
      this.revoked.add(id);
      for (const running of this.#running) {
        if (running.taskId !== id || running.controller.signal.aborted) continue;
        running.controller.abort(new TaskRevokedError(id, terminate));
        aborted.push(id);
      }
    }
    if (taskIds.length > 0) this.#logger.info('tasks revoked', { taskIds, terminate, running: aborted });
    return aborted;
  }

  close(options: { cancel?: boolean } = {}): Promise<void> {
    if (options.cancel) {
      for (const running of this.#running) running.controller.abort(new WorkerShutdownError(running.taskId));
    }
    this.#closing ??= (async () => {
      this.#logger.info('celery worker closing', {
        running: this.#running.size,
        cancel: options.cancel === true,
      });
      const errors: unknown[] = [];
      this.#shutdown.abort();
      await this.broker.stopConsuming().catch((e: unknown) => errors.push(e));
      await Promise.all([...this.#pending]);
      while (this.#running.size > 0) await Promise.all([...this.#running].map((r) => r.done));
      await this.#backend.close().catch((e: unknown) => errors.push(e));
      if (this.#ownsBroker) await this.broker.close().catch((e: unknown) => errors.push(e));
      for (const error of errors)
        this.#logger.warn('error while closing', { error: (error as Error).message });
      this.#logger.info('celery worker closed', { nodeName: this.nodeName });
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Starts a Celery worker: connects to the broker, joins the `celery.pidbox` mailbox as
 * `nodeName` (revoke, ping, stats, active, registered…), and consumes `queues`, running each
 * message of a registered task through `handler` with at most `concurrency` at a time. A message
 * is acknowledged only after its run settled and its result was sent to the backend, so a worker
 * killed mid-run leaves it to be redelivered.
 * @throws {@link InvalidWorkerOptionsError} for a bad option, before connecting
 * @throws {@link InvalidBrokerUrlError} for a broker or backend URL that cannot be used, before connecting
 * @throws {@link BrokerConnectionError} when the broker cannot be reached
 * @example
 * ```ts
 * const worker = await createCeleryWorker({
 *   broker: 'redis://127.0.0.1:6379/0',
 *   concurrency: 2,
 *   handler: async (message, { taskId, signal }) => ({ status: 'SUCCESS', result: null }),
 * });
 * process.once('SIGTERM', () => void worker.close());
 * ```
 */
export async function createCeleryWorker(options: CeleryWorkerOptions): Promise<CeleryWorker> {
  const normalized = normalizeWorkerOptions(options);
  resultBackendKind(normalized.backend); // a bad backend URL fails before the broker connects
  const ownsBroker = typeof normalized.broker === 'string';
  const broker =
    typeof normalized.broker === 'string'
      ? await createBroker(normalized.broker, {
          logger: normalized.logger,
          ...(normalized.visibilityTimeoutMs !== undefined
            ? { visibilityTimeoutMs: normalized.visibilityTimeoutMs }
            : {}),
          ...(normalized.pollIntervalMs !== undefined ? { pollIntervalMs: normalized.pollIntervalMs } : {}),
          ...(normalized.onConnectionLost ? { onConnectionLost: normalized.onConnectionLost } : {}),
        })
      : normalized.broker;
  const worker = new Worker(normalized, broker, ownsBroker);
  try {
    await worker.start();
  } catch (error) {
    await worker.close().catch(() => {});
    throw error;
  }
  return worker;
}
