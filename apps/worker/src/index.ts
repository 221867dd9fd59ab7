export { type ExecuteOptions, executeRun } from './execute.ts';
export { type RunFlags, specFromFlags } from './flags.ts';
export {
  cancelRun,
  createWorker,
  DEFAULT_QUEUE,
  getRunStatus,
  type QueueConnection,
  type RunJobData,
  type RunJobResult,
  type RunStatus,
  type RunWorker,
  type SubmitOptions,
  submitRun,
  type WorkerOptions,
  waitForRun,
} from './queue.ts';
export { type GirderRunInfo, loadRunSpec, type RunSpec, registry } from './spec.ts';
