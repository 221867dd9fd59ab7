import {
  BindMountVolume,
  type FieldReader,
  TemporaryVolume,
  Transform,
  type TransformContext,
} from '@girder-worker/transforms';
import type { ConnectorOptions, ConnectorProvider } from './connect.ts';
import { createStreamConnector, type StreamConnector } from './connector.ts';
import { NamedOutputPipe } from './named-pipe.ts';
import { createProgressSink } from './progress-sink.ts';

/** Options of {@link ProgressPipe}. */
export interface ProgressPipeOptions {
  /**
   * The volume holding the FIFO.
   * @default TemporaryVolume.default
   */
  volume?: BindMountVolume;
}

/**
 * A named pipe the container writes progress to, one JSON object per line:
 * `{"total": 100, "current": 42, "message": "tiling"}`. Each valid line goes to the run's
 * `ctx.reporter.progress()`; malformed lines are logged (`ctx.logger.warn`) and skipped, never
 * fatal. A container that never opens the pipe is fine. As an argument it becomes the pipe's
 * container path (girder_worker's `ProgressPipe`, same default name).
 *
 * @example
 * ```ts
 * containerArgs: ['--progress', new ProgressPipe()]
 * // in the container: echo '{"current": 1, "total": 10}' > "$PROGRESS_PATH"
 * ```
 */
export class ProgressPipe extends Transform<string> implements ConnectorProvider {
  /** Serialization kind. */
  static readonly kind: string = 'ProgressPipe';
  /** The pipe the container writes to. */
  readonly pipe: NamedOutputPipe;

  /**
   * @param name - The FIFO's file name.
   * @param options - The volume; see {@link ProgressPipeOptions}.
   * @default name '.girder_progress'
   * @throws TypeError on a bad name or volume.
   */
  constructor(name = '.girder_progress', options: ProgressPipeOptions = {}) {
    super();
    this.pipe = new NamedOutputPipe(name, { volume: options.volume ?? TemporaryVolume.default });
  }

  /** The FIFO's file name. */
  get name(): string {
    return this.pipe.name;
  }

  /** The volume holding the FIFO. */
  get volume(): BindMountVolume {
    return this.pipe.volume as BindMountVolume;
  }

  /**
   * Revives a serialized progress pipe.
   * @param fields - Optional `name` and `volume`.
   * @returns The progress pipe.
   */
  static fromJSON(fields: FieldReader): ProgressPipe {
    const name = fields.optionalString('name');
    return new ProgressPipe(name, {
      volume: fields.instance('volume', BindMountVolume, TemporaryVolume.default),
    });
  }

  /**
   * Creates the FIFO and returns its container path.
   * @param ctx - The run's context.
   * @returns The container path.
   */
  override transform(ctx: TransformContext): Promise<string> {
    return this.pipe.transform(ctx);
  }

  /**
   * Removes the FIFO.
   * @param ctx - The run's context.
   */
  override cleanup(ctx: TransformContext): Promise<void> {
    return this.pipe.cleanup(ctx);
  }

  /**
   * A connector from the FIFO to `ctx.reporter.progress`.
   * @param ctx - The run's context.
   * @param options - The container's exit (`until`), signal.
   * @returns A connector, not started; it ends empty if the container never writes progress.
   */
  async connector(ctx: TransformContext, options: ConnectorOptions = {}): Promise<StreamConnector> {
    await this.transform(ctx);
    const until = options.until;
    return createStreamConnector({
      name: this.toString(),
      input: ({ signal }) => this.pipe.openReader(ctx, { signal, until, onMissingWriter: 'end' }),
      output: () => createProgressSink({ reporter: ctx.reporter, logger: ctx.logger }),
      signal: options.signal ?? ctx.signal,
      ...(until === undefined ? {} : { until }),
      logger: ctx.logger,
    });
  }

  /** @returns `name` and `volume`. */
  override toJSON(): Record<string, unknown> {
    return { name: this.pipe.name, volume: this.pipe.volume };
  }

  /** @returns e.g. `ProgressPipe(.girder_progress)`. */
  override toString(): string {
    return `ProgressPipe(${this.pipe.name})`;
  }
}
