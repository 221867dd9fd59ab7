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
  const started: Counter<'image'> = new prom.Counter({
    name: 'girder_worker_runs_started_total',
    help: 'Runs this worker started (each attempt), by image.',
    labelNames: ['image'],
    registers,
  });
  const finished: Counter<'image' | 'outcome'> = new prom.Counter({
    name: 'girder_worker_runs_finished_total',
    help: 'Runs this worker finished, by image and outcome (succeeded, failed, cancelled).',
    labelNames: ['image', 'outcome'],
    registers,
  });
  const duration: Histogram<'outcome'> = new prom.Histogram({
    name: 'girder_worker_run_duration_seconds',
    help: 'From the worker taking a run to its end, by outcome.',
    labelNames: ['outcome'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const waiting: Histogram = new prom.Histogram({
    name: 'girder_worker_queue_wait_seconds',
    help: 'From a run being queued to a worker taking it.',
    buckets: WAIT_BUCKETS,
    registers,
  });
  const bytes: Counter<'kind'> = new prom.Counter({
    name: 'girder_worker_stream_bytes_total',
    help: 'Bytes moved through stream connectors, by connector kind.',
    labelNames: ['kind'],
    registers,
  });
  const running: Gauge = new prom.Gauge({
    name: 'girder_worker_containers_running',
    help: 'Containers of this worker running now.',
    registers,
  });
  const stalled: Counter = new prom.Counter({
    name: 'girder_worker_stalled_runs_total',
    help: 'Runs of dead workers (lock expired) put back to be taken again.',
    registers,
  });
  const reaped: Counter = new prom.Counter({
    name: 'girder_worker_orphans_reaped_total',
    help: 'Containers of dead workers removed by this worker.',
    registers,
  });
  const girderRequests: Counter<'method' | 'status'> = new prom.Counter({
    name: 'girder_worker_girder_requests_total',
    help: "Answers to the runs' Girder API requests, by method and status (downloads on their own connection aside).",
    labelNames: ['method', 'status'],
    registers,
  });
  const girderRetries: Counter<'status'> = new prom.Counter({
    name: 'girder_worker_girder_retries_total',
    help: "Retries of the runs' Girder API requests, by the status that caused them (network: no answer).",
    labelNames: ['status'],
    registers,
  });
  const live = new Set<string>();
  const onEvent = (event: WorkerEvent): void => {
    switch (event.type) {
      case 'taken':
        started.inc({ image: event.image });
        if (event.waitedMs !== undefined) waiting.observe(event.waitedMs / 1000);
        return;
      case 'settled':
        finished.inc({ image: event.image, outcome: event.outcome });
        duration.observe({ outcome: event.outcome }, event.durationMs / 1000);
        return;
      case 'stalled':
        stalled.inc();
        return;
      case 'reaped':
        reaped.inc(event.count);
        return;
      case 'girder':
        if (event.kind === 'retry') girderRetries.inc({ status: String(event.status) });
        else girderRequests.inc({ method: event.method, status: String(event.status) });
        return;
      case 'run': {
        const e = event.event;
        if (e.type === 'started') live.add(e.containerId);
        else if (e.type === 'exited') live.delete(e.containerId);
        else if (e.type === 'cancelled' && e.containerId) live.delete(e.containerId);
        else if (e.type === 'stream') bytes.inc({ kind: streamKind(e.name) }, e.bytes);
        running.set(live.size);
      }
    }
  };
  return { registry, onEvent };
}
