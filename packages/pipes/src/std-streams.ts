import { Writable } from 'node:stream';
import { type FieldReader, Transform, type TransformContext } from '@girder-worker/transforms';
import type { StreamSink } from './connector.ts';

/**
 * A Writable that forwards to `target` one chunk at a time (the next chunk goes once the target
 * has flushed the previous one, so a slow terminal slows the source) and never ends or closes it:
 * the host's stdout/stderr outlive any one run. A write error (e.g. EPIPE) fails the sink.
 */
function forwardingSink(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      target.write(chunk, (error?: Error | null) => callback(error));
    },
  });
}

/** A host standard stream as a sink marker: {@link HostStdOut} and {@link HostStdErr} differ only in which. */
abstract class HostStdStream extends Transform<StreamSink> {
  /** The host stream written to. */
  protected abstract target(): NodeJS.WritableStream;

  /**
   * @param _ctx - Unused.
   * @returns A sink factory writing to the host stream (which stays open).
   */
  override transform(_ctx: TransformContext): StreamSink {
    return () => forwardingSink(this.target());
  }

  /** @returns No fields. */
  override toJSON(): Record<string, unknown> {
    return {};
  }

  /** @returns The kind, e.g. `HostStdOut`. */
  override toString(): string {
    return (this.constructor as unknown as { kind: string }).kind;
  }
}

/**
 * The host process's standard output as the output side of a {@link Connect}: bytes from the
 * container (e.g. a {@link NamedOutputPipe}) are written to `process.stdout`, which stays open.
 */
export class HostStdOut extends HostStdStream {
  /** Serialization kind. */
  static readonly kind: string = 'HostStdOut';

  /**
   * Revives a serialized marker (it has no fields).
   * @param _fields - Ignored.
   * @returns A new marker.
   */
  static fromJSON(_fields: FieldReader): HostStdOut {
    return new HostStdOut();
  }

  protected override target(): NodeJS.WritableStream {
    return process.stdout;
  }
}

/** Like {@link HostStdOut}, for the host process's standard error. */
export class HostStdErr extends HostStdStream {
  /** Serialization kind. */
  static readonly kind: string = 'HostStdErr';

  /**
   * Revives a serialized marker (it has no fields).
   * @param _fields - Ignored.
   * @returns A new marker.
   */
  static fromJSON(_fields: FieldReader): HostStdErr {
    return new HostStdErr();
  }

  protected override target(): NodeJS.WritableStream {
    return process.stderr;
  }
}

/** Which standard stream of the container a marker stands for. */
export type ContainerStreamName = 'stdout' | 'stderr';

/**
 * A container standard stream as a source marker: {@link ContainerStdOut} and
 * {@link ContainerStdErr} differ only in `stream`. The docker runner replaces it with the
 * container's demultiplexed stream; as in girder_worker, transforming it yields the marker.
 */
abstract class ContainerStdStream extends Transform<ContainerStdStream> {
  /** The stream this marker stands for. */
  abstract readonly stream: ContainerStreamName;

  /**
   * @param _ctx - Unused.
   * @returns The marker itself (as in girder_worker).
   */
  override transform(_ctx: TransformContext): this {
    return this;
  }

  /** @returns No fields. */
  override toJSON(): Record<string, unknown> {
    return {};
  }

  /** @returns The kind, e.g. `ContainerStdOut`. */
  override toString(): string {
    return (this.constructor as unknown as { kind: string }).kind;
  }
}

/**
 * Marker for the container's standard output as the input side of a {@link Connect}. The
 * docker runner replaces it with the container's demultiplexed stdout (it passes the stream as
 * `containerStdout` to `Connect.connector()`); stdout then no longer goes to the default log.
 */
export class ContainerStdOut extends ContainerStdStream {
  /** Serialization kind. */
  static readonly kind: string = 'ContainerStdOut';
  /** The stream this marker stands for. */
  readonly stream: ContainerStreamName = 'stdout';

  /**
   * Revives a serialized marker (it has no fields).
   * @param _fields - Ignored.
   * @returns A new marker.
   */
  static fromJSON(_fields: FieldReader): ContainerStdOut {
    return new ContainerStdOut();
  }
}

/** Like {@link ContainerStdOut}, for the container's standard error. */
export class ContainerStdErr extends ContainerStdStream {
  /** Serialization kind. */
  static readonly kind: string = 'ContainerStdErr';
  /** The stream this marker stands for. */
  readonly stream: ContainerStreamName = 'stderr';

  /**
   * Revives a serialized marker (it has no fields).
   * @param _fields - Ignored.
   * @returns A new marker.
   */
  static fromJSON(_fields: FieldReader): ContainerStdErr {
    return new ContainerStdErr();
  }
}

/**
 * @param value - Any value.
 * @returns Whether it is a {@link ContainerStdOut} or {@link ContainerStdErr} marker (also from
 * another copy of this package: matched by kind and `stream`).
 */
export function isContainerStream(value: unknown): value is ContainerStdOut | ContainerStdErr {
  if (value instanceof ContainerStdOut || value instanceof ContainerStdErr) return true;
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value.constructor as { kind?: unknown } | undefined)?.kind;
  return (
    (kind === 'ContainerStdOut' || kind === 'ContainerStdErr') &&
    ((value as { stream?: unknown }).stream === 'stdout' ||
      (value as { stream?: unknown }).stream === 'stderr')
  );
}
