import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { StreamSink } from '@girder-worker/pipes';
import { Transform, type TransformContext } from '@girder-worker/transforms';

/** Where {@link JobLogSink} writes: text appended to a job log as it comes. */
export interface LogWriter {
  /** Appends text as it is. */
  write(text: string): void;
  /** Called when one stream into the log has ended (e.g. to flush a partial line). */
  end?(): void;
}

/**
 * The Girder job log as the output side of a `Connect`: bytes from the container (its stdout or
 * stderr, or a named pipe girder_worker would have sent to `HostStdOut`) are appended to the log
 * as they are, no newline added (a multi-byte character split across chunks is kept whole). In a
 * girder_worker task the process's stdout *is* the job log; this is that.
 */
export class JobLogSink extends Transform<StreamSink> {
  /** Serialization kind (never serialized: it exists only while a Celery task runs). */
  static readonly kind: string = 'JobLogSink';
  readonly #log: LogWriter;
  readonly #label: string;

  /**
   * @param log - the job log
   * @param label - what it stands for in messages (e.g. `HostStdOut`)
   */
  constructor(log: LogWriter, label = 'JobLog') {
    super();
    this.#log = log;
    this.#label = label;
  }

  /** @returns a sink factory; each sink appends to the log and never ends it */
  override transform(_ctx: TransformContext): StreamSink {
    return () => {
      const decoder = new StringDecoder('utf8');
      return new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          this.#log.write(decoder.write(chunk));
          callback();
        },
        final: (callback) => {
          this.#log.write(decoder.end());
          this.#log.end?.();
          callback();
        },
      });
    };
  }

  /** @returns no fields */
  override toJSON(): Record<string, unknown> {
    return {};
  }

  /** @returns e.g. `HostStdOut(job log)` */
  override toString(): string {
    return `${this.#label}(job log)`;
  }
}
