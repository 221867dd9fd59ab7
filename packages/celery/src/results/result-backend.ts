import type { RawCeleryMessage } from '../task.ts';
import type { ResultMeta } from './result-meta.ts';

/** Where task results go (Celery's result backend). */
export interface ResultBackend {
  /** `rpc`, `redis` or `disabled`. */
  readonly kind: 'rpc' | 'redis' | 'disabled';
  /** Stores the result of the task `message` carried. Never throws: failures are logged. */
  store(taskId: string, message: RawCeleryMessage, meta: ResultMeta): Promise<void>;
  /** Releases its connection, if it has one. */
  close(): Promise<void>;
}
