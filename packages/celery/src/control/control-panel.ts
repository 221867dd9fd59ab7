import { hostname } from 'node:os';
import type { WorkerState } from './worker-state.ts';

/** A control command: arguments in, JSON reply out (as Celery's `Panel` handlers). */
type Command = (state: WorkerState, args: Record<string, unknown>) => unknown;

/** Python's repr of a set of strings: `{'a', 'b'}`. */
function pySet(ids: readonly string[]): string {
  return ids.length === 0 ? 'set()' : `{${ids.map((id) => `'${id}'`).join(', ')}}`;
}

function taskIds(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

function revoke(state: WorkerState, args: Record<string, unknown>): unknown {
  const ids = [...new Set(taskIds(args.task_id))];
  const terminate = args.terminate === true;
  const aborted = state.revoke(ids, terminate);
  if (terminate) {
    return { ok: aborted.length === 0 ? 'terminate: tasks unknown' : `terminate: ${aborted.join(', ')}` };
  }
  return { ok: `tasks ${pySet(ids)} flagged as revoked` };
}

function stats(state: WorkerState): unknown {
  const usage = process.resourceUsage();
  const url = new URL(state.broker.displayUrl.replace(/^pyamqp:/, 'amqp:'));
  return {
    total: Object.fromEntries(state.totals),
    pid: process.pid,
    clock: String(state.clock.value),
    uptime: Math.round((Date.now() - state.startedAtMs) / 1000),
    pool: {
      'max-concurrency': state.concurrency,
      processes: [process.pid],
      implementation: 'girder-worker (Node.js event loop)',
    },
    broker: {
      hostname: url.hostname,
      port: url.port ? Number(url.port) : null,
      transport: state.broker.transport,
      virtual_host: decodeURIComponent(url.pathname.slice(1)) || '/',
    },
    prefetch_count: state.concurrency,
    rusage: {
      utime: usage.userCPUTime / 1e6,
      stime: usage.systemCPUTime / 1e6,
      maxrss: usage.maxRSS,
    },
  };
}

function activeQueues(state: WorkerState): unknown {
  return state.queues.map((name) => ({
    name,
    exchange: { name, type: 'direct', durable: true, auto_delete: false, arguments: null },
    routing_key: name,
    durable: true,
    exclusive: false,
    auto_delete: false,
    no_ack: false,
    alias: null,
    bindings: [],
    queue_arguments: null,
  }));
}

/**
 * The control commands answered, by Celery's names. `inspect` commands reply with what Celery
 * replies (`ping` → `{ok: 'pong'}`, `registered` → task names, `active` → request infos…);
 * `revoke` aborts running tasks with a `TaskRevokedError` whether or not `terminate` is set
 * (girder_worker stops the container in both cases).
 */
const CONTROL_COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  ping: () => ({ ok: 'pong' }),
  revoke,
  stats,
  active: (state) => state.active(),
  reserved: () => [],
  scheduled: () => [],
  registered: (state) => [...state.registered].sort(),
  revoked: (state) => state.revoked.ids(),
  active_queues: activeQueues,
  clock: (state) => ({ clock: state.clock.forward() }),
  report: (state) => ({
    ok: `software -> girder-worker (Node.js ${process.version}) host -> ${hostname()} node -> ${state.nodeName}`,
  }),
  hello: (state, args) => {
    if (args.from_node !== state.nodeName && args.revoked && typeof args.revoked === 'object') {
      for (const id of Object.keys(args.revoked)) state.revoked.add(id);
    }
    return { revoked: state.revoked.toJSON(), clock: state.clock.forward() };
  },
});

/**
 * Runs one control command. An unknown command or a failing one gives `{error: …}` as kombu's
 * `Node.dispatch` does.
 */
export function runControlCommand(
  state: WorkerState,
  method: string,
  args: Record<string, unknown>,
): unknown {
  const command = Object.hasOwn(CONTROL_COMMANDS, method) ? CONTROL_COMMANDS[method] : undefined;
  if (!command) return { error: `No such control command: ${method}` };
  try {
    return command(state, args);
  } catch (error) {
    return { error: `${(error as Error).name}(${JSON.stringify((error as Error).message)})` };
  }
}
