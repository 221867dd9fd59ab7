import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Connect,
  type ConnectorProvider,
  isContainerStream,
  isFifoPeerMissingError,
  type StreamConnector,
} from '@girder-worker/pipes';
import type { Transform, TransformContext } from '@girder-worker/transforms';
import { DockerDemuxer } from './demux.ts';
import type { DockerRunEvent } from './events.ts';
import { forwardTo, lineSink, TailTap } from './output.ts';

/** What {@link wireStreams} needs. */
export interface WireStreamsInput {
  /** The attached (multiplexed) output of the container. */
  attached: Readable;
  /** Settles when the container exits. */
  exited: Promise<unknown>;
  /** The connectors to drive. */
  providers: readonly (Transform & ConnectorProvider)[];
  /** The run's context (its reporter gets output lines when `toReporter`). */
  ctx: TransformContext;
  /** Send output lines to `ctx.reporter`; else to this process's stdout/stderr. */
  toReporter: boolean;
  /** Cancels the transfers. */
  signal: AbortSignal;
}

/** The wired output of a container. */
export interface RunStreams {
  /** The connectors, not started. */
  readonly connectors: readonly StreamConnector[];
  /** The last bytes of stderr, as text. */
  tail(): string;
  /** Settles when the output has been read to its end and written out. */
  drained(): Promise<void>;
}

/**
 * Splits the container's output into stdout and stderr (with backpressure), sends each to a
 * `Connect(ContainerStdOut/Err, …)` when one asks for it, else to the reporter (or this process),
 * keeps the stderr tail for errors, and builds every connector.
 */
export async function wireStreams(input: WireStreamsInput): Promise<RunStreams> {
  const { ctx, providers } = input;
  const demuxer = new DockerDemuxer();
  const demuxed = pipeline(input.attached, demuxer);
  demuxed.catch(() => {});
  const stderrTap = new TailTap();
  const stderr = demuxer.stderr.pipe(stderrTap);
  const redirects = (name: 'stdout' | 'stderr'): boolean =>
    providers.some((p) => p instanceof Connect && isContainerStream(p.input) && p.input.stream === name);
  const sink = (name: 'stdout' | 'stderr'): Writable =>
    input.toReporter
      ? lineSink((line) => ctx.reporter.log(line, name))
      : forwardTo(name === 'stdout' ? process.stdout : process.stderr);
  const drains: Promise<void>[] = [demuxed];
  if (!redirects('stdout')) drains.push(pipeline(demuxer.stdout, sink('stdout')));
  if (!redirects('stderr')) drains.push(pipeline(stderr, sink('stderr')));
  const connectors = await Promise.all(
    providers.map((p) =>
      p.connector(ctx, {
        until: input.exited,
        signal: input.signal,
        containerStdout: demuxer.stdout,
        containerStderr: stderr,
      }),
    ),
  );
  return {
    connectors,
    tail: () => stderrTap.tail(),
    drained: async () => {
      await Promise.allSettled(drains);
    },
  };
}

/**
 * Reports the bytes each settled connector moved and returns the failures. A named pipe the
 * container never opened is not one (logged as a warning).
 */
export function connectorFailures(
  results: readonly PromiseSettledResult<{ bytesMoved: number }>[],
  providers: readonly Transform[],
  onEvent: (event: DockerRunEvent) => void,
  warn: (message: string, context: Record<string, unknown>) => void,
): unknown[] {
  const failures: unknown[] = [];
  results.forEach((result, i) => {
    const name = String(providers[i]);
    if (result.status === 'fulfilled') {
      onEvent({ type: 'stream', name, bytes: result.value.bytesMoved });
    } else if (
      isFifoPeerMissingError(result.reason) ||
      isFifoPeerMissingError((result.reason as { cause?: unknown })?.cause)
    ) {
      warn('the container never opened a named pipe', { connector: name });
    } else {
      failures.push(result.reason);
    }
  });
  return failures;
}
