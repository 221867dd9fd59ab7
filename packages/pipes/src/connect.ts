import { type FieldReader, isTransform, Transform, type TransformContext } from '@girder-worker/transforms';
import { ChunkedTransferEncodingStream } from './chunked-transfer-encoding-stream.ts';
import {
  createStreamConnector,
  type StreamConnector,
  type StreamSink,
  type StreamSource,
} from './connector.ts';
import { PipeError } from './errors.ts';
import { lendWithThread } from './fifo-reader.ts';
import { HostFileSink } from './host-file.ts';
import { NamedInputPipe, NamedOutputPipe } from './named-pipe.ts';
import { BootedPumpThread } from './pump-lender.ts';
import {
  ContainerStdErr,
  ContainerStdOut,
  HostStdErr,
  HostStdOut,
  isContainerStream,
} from './std-streams.ts';

/** What the runner hands to {@link ConnectorProvider.connector}. */
export interface ConnectorOptions {
  /**
   * Settles when the container has exited: a pipe end still waiting for the container then
   * gives up (see `openFifoWriter`/`openFifoReader`).
   */
  until?: PromiseLike<unknown>;
  /**
   * Aborts the transfer.
   * @default ctx.signal
   */
  signal?: AbortSignal;
  /** The container's demultiplexed stdout, for a `Connect` whose input is {@link ContainerStdOut}. */
  containerStdout?: StreamSource;
  /** The container's demultiplexed stderr, for a `Connect` whose input is {@link ContainerStdErr}. */
  containerStderr?: StreamSource;
}

/**
 * Something the runner drives during the container's life: {@link Connect} and
 * {@link ProgressPipe}. The runner transforms the arguments first (creating the FIFOs), then
 * calls `connector()` for each provider, starts the connectors, and awaits their `done` after
 * the container exits.
 */
export interface ConnectorProvider {
  /**
   * @param ctx - The run's context.
   * @param options - The container's exit and streams.
   * @returns A connector, not started yet.
   */
  connector(ctx: TransformContext, options?: ConnectorOptions): Promise<StreamConnector>;
}

/**
 * @param value - Any value.
 * @returns Whether it offers a `connector(ctx, options)` method (a {@link ConnectorProvider}).
 */
export function hasConnector(value: unknown): value is ConnectorProvider {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { connector?: unknown }).connector === 'function'
  );
}

function kindOf(value: unknown): string {
  return (
    ((value as { constructor?: { kind?: unknown } } | null)?.constructor?.kind as string | undefined) ??
    typeof value
  );
}

const SINK_ONLY = [NamedInputPipe, HostStdOut, HostStdErr, ChunkedTransferEncodingStream] as const;
const SOURCE_ONLY = [NamedOutputPipe, ContainerStdOut, ContainerStdErr] as const;

/**
 * Connects a source to a sink across the container boundary (girder_worker's `Connect`): one
 * side is a named pipe (or the input is the container's stdout/stderr), the other any stream
 * transform — e.g. a Girder download into a {@link NamedInputPipe}, or a {@link NamedOutputPipe}
 * into a {@link ChunkedTransferEncodingStream}. As a container argument it becomes the pipe's
 * container path; the runner drives the transfer through {@link Connect.connector}. It has no
 * cleanup of its own: the run's lifecycle cleans its sides (reachable through `toJSON`), which
 * removes the FIFOs.
 *
 * Input side: a {@link NamedOutputPipe}, {@link ContainerStdOut}/{@link ContainerStdErr}, or a
 * transform whose `transform(ctx)` yields a {@link StreamSource}. Output side: a
 * {@link NamedInputPipe}, {@link HostStdOut}/{@link HostStdErr},
 * {@link ChunkedTransferEncodingStream}, or a transform yielding a {@link StreamSink}.
 *
 * @example
 * ```ts
 * const pipe = new NamedInputPipe('data.bin');
 * await dockerRun({ image, containerArgs: ['--in', new Connect(new GirderFileIdToStream(id), pipe)] });
 * ```
 */
export class Connect extends Transform<string> implements ConnectorProvider {
  /** Serialization kind. */
  static readonly kind: string = 'Connect';
  /** Where the bytes come from. */
  readonly input: Transform;
  /** Where the bytes go. */
  readonly output: Transform;

  /**
   * @param input - The source side.
   * @param output - The sink side.
   * @throws TypeError when a side is not a transform, a sink-only kind is given as input (or a
   * source-only kind as output), or neither side touches the container.
   */
  constructor(input: Transform, output: Transform) {
    super();
    if (!isTransform(input)) throw new TypeError(`Connect input: expected a transform, got ${kindOf(input)}`);
    if (!isTransform(output))
      throw new TypeError(`Connect output: expected a transform, got ${kindOf(output)}`);
    if (SINK_ONLY.some((cls) => input instanceof cls)) {
      throw new TypeError(`Connect input: ${kindOf(input)} can only be an output (a place bytes go to)`);
    }
    if (SOURCE_ONLY.some((cls) => output instanceof cls)) {
      throw new TypeError(`Connect output: ${kindOf(output)} can only be an input (a place bytes come from)`);
    }
    if (
      !(output instanceof NamedInputPipe) &&
      !(input instanceof NamedOutputPipe) &&
      !isContainerStream(input)
    ) {
      throw new TypeError(
        'Connect: a NamedInputPipe output, a NamedOutputPipe input, or a ContainerStdOut/ContainerStdErr input is required',
      );
    }
    this.input = input;
    this.output = output;
  }

  /**
   * Revives a serialized connection (sides already revived).
   * @param fields - `input` and `output`.
   * @returns The connection.
   * @throws SpecValidationError naming `input` or `output` when a side is of the wrong kind (e.g. swapped).
   */
  static fromJSON(fields: FieldReader): Connect {
    const input = fields.instance('input', Transform);
    const output = fields.instance('output', Transform);
    if (SINK_ONLY.some((cls) => input instanceof cls))
      fields.fail(
        'input',
        `a source: ${kindOf(input)} is a place bytes go to (are input and output swapped?)`,
      );
    if (SOURCE_ONLY.some((cls) => output instanceof cls))
      fields.fail(
        'output',
        `a sink: ${kindOf(output)} is a place bytes come from (are input and output swapped?)`,
      );
    try {
      return new Connect(input, output);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      return fields.fail('output', 'a NamedInputPipe (or a NamedOutputPipe or container stream as input)');
    }
  }

  /**
   * Creates the pipe(s) on the host and returns the container path to pass as an argument: the
   * output pipe's if the output is a {@link NamedInputPipe}, else the input pipe's; `''` when
   * no side is a pipe (container stdout/stderr connections are not arguments).
   * @param ctx - The run's context.
   * @returns The pipe's container path.
   * @throws MkfifoError when a FIFO cannot be created.
   */
  override async transform(ctx: TransformContext): Promise<string> {
    const inputPath = this.input instanceof NamedOutputPipe ? await this.input.transform(ctx) : undefined;
    const outputPath = this.output instanceof NamedInputPipe ? await this.output.transform(ctx) : undefined;
    return outputPath ?? inputPath ?? '';
  }

  /**
   * Builds the connector the runner starts while the container runs. Creates the pipes first if
   * `transform` has not run for this run yet.
   * @param ctx - The run's context (signal, logger, services for the sides' transforms).
   * @param options - The container's exit (`until`) and its streams.
   * @returns A connector, not started.
   * @throws PipeError (`GW_CONTAINER_STREAM_MISSING`) when the input is a container stream the
   * runner did not provide; TypeError when a side's transform gives no usable stream.
   */
  async connector(ctx: TransformContext, options: ConnectorOptions = {}): Promise<StreamConnector> {
    await this.transform(ctx);
    const until = options.until;
    let input: StreamSource;
    let thread: BootedPumpThread | undefined;
    if (this.input instanceof NamedOutputPipe) {
      const pipe = this.input;
      // Lent: the pipe is read into reused slabs; a sink that may keep chunks gets copies.
      input = ({ signal }) => lendWithThread(pipe.openReader(ctx, { signal, until }), thread);
    } else if (isContainerStream(this.input)) {
      const stream = this.input.stream === 'stdout' ? options.containerStdout : options.containerStderr;
      if (stream === undefined) {
        throw new PipeError(
          `${this.toString()} reads the container's ${this.input.stream}, but the runner passed no container${this.input.stream === 'stdout' ? 'Stdout' : 'Stderr'} stream`,
          'GW_CONTAINER_STREAM_MISSING',
        );
      }
      input = stream;
    } else {
      input = (await this.input.transform(ctx)) as StreamSource;
    }
    let output: StreamSink;
    if (this.output instanceof NamedInputPipe) {
      const pipe = this.output;
      output = ({ signal }) => pipe.openWriter(ctx, { signal, until });
    } else {
      output = (await this.output.transform(ctx)) as StreamSink;
    }
    // A sink other than a host file takes the bytes in this process, through a pump thread: it
    // boots now (50–80 ms), while the container starts (the runner builds its connectors first),
    // rather than once the bytes come.
    if (this.input instanceof NamedOutputPipe && !(this.output instanceof HostFileSink))
      thread = new BootedPumpThread();
    try {
      const connector = createStreamConnector({
        name: this.toString(),
        input,
        output,
        signal: options.signal ?? ctx.signal,
        ...(until === undefined ? {} : { until }),
        logger: ctx.logger,
      });
      // Ended or closed unstarted: the thread goes (a no-op once the reader's lender took it).
      const stop = (): Promise<void> | undefined => thread?.close();
      connector.done.then(stop, stop);
      return connector;
    } catch (error) {
      await thread?.close();
      // A side's transform(ctx) gave something that is not a stream (or a function returning one).
      const side = /options\.input/.test(String(error)) ? 'input' : 'output';
      throw new TypeError(
        `${this.toString()}: the ${side} side (${kindOf(side === 'input' ? this.input : this.output)}) ` +
          `transformed into ${side === 'input' ? 'no Readable, async iterable or function returning one' : 'no Writable or function returning one'}`,
        { cause: error },
      );
    }
  }

  /** @returns `input` and `output` (the sides, serialized by identity). */
  override toJSON(): Record<string, unknown> {
    return { input: this.input, output: this.output };
  }

  /** @returns e.g. `Connect(NamedOutputPipe(out) → HostStdOut)`; never a secret. */
  override toString(): string {
    return `Connect(${String(this.input)} → ${String(this.output)})`;
  }
}
