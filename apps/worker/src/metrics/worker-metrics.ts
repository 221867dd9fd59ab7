import type { DockerRunEvent } from '@girder-worker/docker';
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkerEvent } from '../worker.ts';

/** Prometheus metrics of one worker process. */
export interface WorkerMetrics {
  /** The registry to scrape (`await registry.metrics()`). */
  readonly registry: Registry;
  /** Counts a worker event: give it as the worker's `onEvent`. */
  readonly onEvent: (event: WorkerEvent) => void;
}

const DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600];

/**
 * The kind of a stream connector, a bounded label made of its class names without their values:
 * `Connect(HostFileSource(/data/a.csv) → NamedInputPipe(a))` → `HostFileSource → NamedInputPipe`.
 */
export function streamKind(name: string): string {
  const classes = [...name.matchAll(/([A-Za-z_$][\w$]*)\(/g)].map((m) => m[1] as string);
  const parts = classes[0] === 'Connect' && classes.length > 1 ? classes.slice(1) : classes;
  return parts.length > 0 ? parts.join(' → ') : 'stream';
}

/**
 * Creates the Prometheus metrics of a worker: runs started and finished by image and outcome, run
 * duration and time waiting in the queue (histograms), bytes moved per stream kind, containers
 * running, stalled runs recovered, orphans reaped, and the runs' Girder requests and retries by
 * status. Process metrics (CPU, memory, event loop)
 * come with them.
 *
 * @returns the metrics; give `onEvent` to the worker
 * @example
 * ```ts
 * const metrics = await createWorkerMetrics();
 * const worker = await createWorker({ redisUrl, onEvent: metrics.onEvent });
 * const server = await serveMetrics(metrics.registry, { port: 9464 });
 * ```
 */
export async function createWorkerMetrics(): Promise<WorkerMetrics> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: 'girder_worker_' });
  const registers = [registry];
  // Declared in this order, which is the order of the scraped text.
  const metrics: MetricSet = {
    runs: runMetrics(prom, registers),
    containers: containerMetrics(prom, registers),
    recovery: recoveryMetrics(prom, registers),
    girder: girderMetrics(prom, registers),
  };
  return { registry, onEvent: eventCounter(metrics) };
}

/** The metrics of the runs this worker takes. */
interface RunMetrics {
  readonly started: Counter<'image'>;
  readonly finished: Counter<'image' | 'outcome'>;
  readonly duration: Histogram<'outcome'>;
  readonly waiting: Histogram;
}

/** The metrics of the runs' containers: bytes their streams move, how many run now. */
interface ContainerMetrics {
  readonly bytes: Counter<'kind'>;
  readonly running: Gauge;
}

/** The metrics of what this worker recovers from dead workers: their runs, their containers. */
interface RecoveryMetrics {
  readonly stalled: Counter;
  readonly reaped: Counter;
}

/** The metrics of the runs' Girder API requests. */
interface GirderMetrics {
  readonly requests: Counter<'method' | 'status'>;
  readonly retries: Counter<'status'>;
}

/** Every metric a worker event counts, by concern. */
interface MetricSet {
  readonly runs: RunMetrics;
  readonly containers: ContainerMetrics;
  readonly recovery: RecoveryMetrics;
  readonly girder: GirderMetrics;
}

function runMetrics(prom: typeof PromClient, registers: Registry[]): RunMetrics {
  return {
    started: new prom.Counter({
      name: 'girder_worker_runs_started_total',
      help: 'Runs this worker started (each attempt), by image.',
      labelNames: ['image'],
      registers,
    }),
    finished: new prom.Counter({
      name: 'girder_worker_runs_finished_total',
      help: 'Runs this worker finished, by image and outcome (succeeded, failed, cancelled).',
      labelNames: ['image', 'outcome'],
      registers,
    }),
    duration: new prom.Histogram({
      name: 'girder_worker_run_duration_seconds',
      help: 'From the worker taking a run to its end, by outcome.',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    waiting: new prom.Histogram({
      name: 'girder_worker_queue_wait_seconds',
      help: 'From a run being queued to a worker taking it.',
      buckets: WAIT_BUCKETS,
      registers,
    }),
  };
}

function containerMetrics(prom: typeof PromClient, registers: Registry[]): ContainerMetrics {
  return {
    bytes: new prom.Counter({
      name: 'girder_worker_stream_bytes_total',
      help: 'Bytes moved through stream connectors, by connector kind.',
      labelNames: ['kind'],
      registers,
    }),
    running: new prom.Gauge({
      name: 'girder_worker_containers_running',
      help: 'Containers of this worker running now.',
      registers,
    }),
  };
}

function recoveryMetrics(prom: typeof PromClient, registers: Registry[]): RecoveryMetrics {
  return {
    stalled: new prom.Counter({
      name: 'girder_worker_stalled_runs_total',
      help: 'Runs of dead workers (lock expired) put back to be taken again.',
      registers,
    }),
    reaped: new prom.Counter({
      name: 'girder_worker_orphans_reaped_total',
      help: 'Containers of dead workers removed by this worker.',
      registers,
    }),
  };
}

function girderMetrics(prom: typeof PromClient, registers: Registry[]): GirderMetrics {
  return {
    requests: new prom.Counter({
      name: 'girder_worker_girder_requests_total',
      help: "Answers to the runs' Girder API requests, by method and status (downloads on their own connection aside).",
      labelNames: ['method', 'status'],
      registers,
    }),
    retries: new prom.Counter({
      name: 'girder_worker_girder_retries_total',
      help: "Retries of the runs' Girder API requests, by the status that caused them (network: no answer).",
      labelNames: ['status'],
      registers,
    }),
  };
}

/** The worker's `onEvent`: counts each event in its metrics. */
function eventCounter(metrics: MetricSet): (event: WorkerEvent) => void {
  const { runs, recovery, girder } = metrics;
  const countContainerEvent = containerEventCounter(metrics.containers);
  return (event) => {
    switch (event.type) {
      case 'taken':
        runs.started.inc({ image: event.image });
        if (event.waitedMs !== undefined) runs.waiting.observe(event.waitedMs / 1000);
        return;
      case 'settled':
        runs.finished.inc({ image: event.image, outcome: event.outcome });
        runs.duration.observe({ outcome: event.outcome }, event.durationMs / 1000);
        return;
      case 'stalled':
        recovery.stalled.inc();
        return;
      case 'reaped':
        recovery.reaped.inc(event.count);
        return;
      case 'girder':
        if (event.kind === 'retry') girder.retries.inc({ status: String(event.status) });
        else girder.requests.inc({ method: event.method, status: String(event.status) });
        return;
      case 'run':
        countContainerEvent(event.event);
    }
  };
}

/** Counts what the runs' containers do: the ones live now (by id), the bytes their streams move. */
function containerEventCounter(metrics: ContainerMetrics): (event: DockerRunEvent) => void {
  const live = new Set<string>();
  return (e) => {
    if (e.type === 'started') live.add(e.containerId);
    else if (e.type === 'exited') live.delete(e.containerId);
    else if (e.type === 'cancelled' && e.containerId) live.delete(e.containerId);
    else if (e.type === 'stream') metrics.bytes.inc({ kind: streamKind(e.name) }, e.bytes);
    metrics.running.set(live.size);
  };
}
