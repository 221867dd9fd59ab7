import type { CeleryBroker } from '../brokers/broker.ts';
import type { LamportClock } from './lamport-clock.ts';
import type { RevokedSet } from './revoked-set.ts';

/** One running task as Celery's `Request.info()` describes it (for `inspect active`). */
export interface ActiveTaskInfo {
  id: string;
  name: string;
  /** `argsrepr`: a display string (the body is never decoded here). */
  args: string;
  /** Not shown: `kwargsrepr` can carry secrets (environment values). */
  kwargs: string;
  type: string;
  hostname: string;
  /** Unix seconds. */
  time_start: number;
  /** false: the message is acknowledged only after the run settles. */
  acknowledged: boolean;
  delivery_info: { exchange: string; routing_key: string; priority: number; redelivered: boolean };
  worker_pid: number;
}

/** What the control panel reads from and does to the worker. */
export interface WorkerState {
  /** `name@host`. */
  readonly nodeName: string;
  /** Task names this worker runs. */
  readonly registered: readonly string[];
  /** Queues consumed. */
  readonly queues: readonly string[];
  /** Tasks run at once. */
  readonly concurrency: number;
  /** The broker. */
  readonly broker: CeleryBroker;
  /** When the worker started (ms since the epoch). */
  readonly startedAtMs: number;
  /** The mailbox clock. */
  readonly clock: LamportClock;
  /** Revoked task ids. */
  readonly revoked: RevokedSet;
  /** Tasks accepted so far, by name. */
  readonly totals: ReadonlyMap<string, number>;
  /** The tasks running now. */
  active(): ActiveTaskInfo[];
  /**
   * Revokes `ids`: remembers them (a later message with that id is not run) and aborts the
   * running ones. Returns the ids of the running tasks it aborted.
   */
  revoke(ids: readonly string[], terminate: boolean): string[];
}
