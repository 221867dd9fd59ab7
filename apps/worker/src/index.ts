export {
  type CancelOutcome,
  cancelRun,
  getRunStatus,
  type RunStatus,
  type SubmitOptions,
  submitRun,
  type WaitOptions,
  waitForRun,
} from './client.ts';
export { type Dashboard, type DashboardOptions, startDashboard } from './dashboard/server.ts';
export {
  asRunCancelled,
  BadInputError,
  isBadInputError,
  isCancellation,
  isRedisUnavailableError,
  isRunCancelledError,
  isRunFailedError,
  isRunNotFoundError,
  RedisUnavailableError,
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
} from './errors.ts';
export { type ExecuteOptions, executeRun } from './execute.ts';
export { type RunFlags, specFromFlags } from './flags.ts';
export { jsonLinesLogger, type LogFormat } from './json-logger.ts';
export { type MetricsServer, serveMetrics } from './metrics/serve-metrics.ts';
export { createWorkerMetrics, type WorkerMetrics } from './metrics/worker-metrics.ts';
export {
  DEFAULT_QUEUE,
  decodeRunFailure,
  encodeRunFailure,
  type GirderJobReference,
  type QueueConnection,
  type RunFailure,
  type RunFailureCode,
  type RunJobData,
  type RunJobResult,
} from './queue-common.ts';
export {
  type GirderRunInfo,
  type LoadRunSpecOptions,
  loadRunSpec,
  parseGirderInfo,
  type RunSpec,
  registry,
  resolveSpecPaths,
} from './spec.ts';
export type { RunAttemptOutcome, WorkerEvent } from './worker.ts';
export { createWorker, type RunWorker, type WorkerOptions } from './worker.ts';
