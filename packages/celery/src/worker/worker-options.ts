import { hostname } from 'node:os';
import type { Logger } from '@girder-worker/transforms';
import { silentLogger } from '@girder-worker/transforms';
import type { CeleryBroker } from '../brokers/broker.ts';
import type { TaskHandler } from '../task.ts';
import { DOCKER_RUN_TASK } from '../task-name.ts';
import { InvalidWorkerOptionsError } from './errors.ts';

/** Options of {@link createCeleryWorker}. */
export interface CeleryWorkerOptions {
  /** The broker URL (`redis://…`, `amqp://…`, see `createBroker`) or a connected broker. */
  broker: string | CeleryBroker;
  /** Runs each message of a registered task. */
  handler: TaskHandler;
  /** Queues to consume. @default ['celery'] */
  queues?: readonly string[];
  /** Tasks run at once (and AMQP prefetch). @default 1 */
  concurrency?: number;
  /** Task names this worker runs; others are treated as Celery treats unregistered tasks. @default [DOCKER_RUN_TASK] */
  tasks?: readonly string[];
  /**
   * What to do with a message for a task not in `tasks`. `reject` is Celery's behaviour: logged
   * as an error, a `NotRegistered` FAILURE stored for it, and the message rejected without
   * requeue (dropped, or dead-lettered when the queue has a dead-letter exchange). `requeue`
   * rejects it back onto the queue for another worker (only useful when one runs that task),
   * after holding it 1 s so that a queue no other worker takes from is not a busy loop.
   * @default 'reject'
   */
  unknownTasks?: 'reject' | 'requeue';
  /** Result backend: `rpc://`, `redis://…` or `disabled`. @default 'rpc://' */
  backend?: string;
  /** This worker's node name in the mailbox and in `celery inspect`. @default `girder-worker-<pid>@<hostname>` */
  nodeName?: string;
  /** Redis broker: kombu's visibility timeout. @default 3_600_000 */
  visibilityTimeoutMs?: number;
  /** Redis broker: how often to look for messages when every queue was empty. @default 100 */
  pollIntervalMs?: number;
  /** Called once if the broker connection is lost (the worker then stops taking messages). */
  onConnectionLost?: (error: Error) => void;
  /** Where the worker logs. @default silent */
  logger?: Logger;
}

/** {@link CeleryWorkerOptions} with defaults applied and checked. */
export interface NormalizedWorkerOptions {
  broker: string | CeleryBroker;
  handler: TaskHandler;
  queues: readonly string[];
  concurrency: number;
  tasks: readonly string[];
  unknownTasks: 'reject' | 'requeue';
  backend: string;
  nodeName: string;
  visibilityTimeoutMs: number | undefined;
  pollIntervalMs: number | undefined;
  onConnectionLost: ((error: Error) => void) | undefined;
  logger: Logger;
}

const KNOWN = new Set([
  'broker',
  'handler',
  'queues',
  'concurrency',
  'tasks',
  'unknownTasks',
  'backend',
  'nodeName',
  'visibilityTimeoutMs',
  'pollIntervalMs',
  'onConnectionLost',
  'logger',
]);

function fail(path: string, expected: string, got: unknown): never {
  const shown = typeof got === 'function' ? 'a function' : (JSON.stringify(got)?.slice(0, 60) ?? String(got));
  throw new InvalidWorkerOptionsError(`celery worker options.${path}: expected ${expected}, got ${shown}`);
}

function names(value: unknown, path: string, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0) fail(path, 'a non-empty array of names', value);
  value.forEach((v, i) => {
    if (typeof v !== 'string' || v === '') fail(`${path}[${i}]`, 'a non-empty string', v);
  });
  return [...new Set(value as string[])];
}

/**
 * Applies defaults and checks every option, naming the one that is wrong; unknown options are refused.
 * @throws {@link InvalidWorkerOptionsError}
 */
export function normalizeWorkerOptions(options: CeleryWorkerOptions): NormalizedWorkerOptions {
  for (const key of Object.keys(options))
    if (!KNOWN.has(key)) fail(key, 'no such option', options[key as keyof CeleryWorkerOptions]);
  const { broker, handler } = options;
  if (typeof broker !== 'string' && (typeof broker !== 'object' || broker === null))
    fail('broker', 'a URL or a broker', broker);
  if (typeof handler !== 'function')
    fail('handler', 'a function (message, context) => Promise<TaskOutcome>', handler);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    fail('concurrency', 'an integer from 1 to 1000', concurrency);
  }
  const unknownTasks = options.unknownTasks ?? 'reject';
  if (unknownTasks !== 'reject' && unknownTasks !== 'requeue')
    fail('unknownTasks', "'reject' or 'requeue'", unknownTasks);
  const nodeName = options.nodeName ?? `girder-worker-${process.pid}@${hostname()}`;
  if (typeof nodeName !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(nodeName))
    fail('nodeName', "'name@host'", nodeName);
  for (const key of ['visibilityTimeoutMs', 'pollIntervalMs'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isFinite(value) || value <= 0))
      fail(key, 'a positive number of milliseconds', value);
  }
  if (typeof broker !== 'string') {
    for (const key of ['visibilityTimeoutMs', 'pollIntervalMs', 'onConnectionLost'] as const) {
      if (options[key] !== undefined)
        fail(key, 'nothing when broker is a connected broker (give it to createBroker)', options[key]);
    }
  }
  const backend = options.backend ?? 'rpc://';
  if (typeof backend !== 'string') fail('backend', "'rpc://', a redis:// URL or 'disabled'", backend);
  return {
    broker,
    handler,
    queues: names(options.queues, 'queues', ['celery']),
    concurrency,
    tasks: names(options.tasks, 'tasks', [DOCKER_RUN_TASK]),
    unknownTasks,
    backend,
    nodeName,
    visibilityTimeoutMs: options.visibilityTimeoutMs,
    pollIntervalMs: options.pollIntervalMs,
    onConnectionLost: options.onConnectionLost,
    logger: options.logger ?? silentLogger,
  };
}
