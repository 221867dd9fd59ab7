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

/**
 * The host process's standard output as the output side of a {@link Connect}: bytes from the
 * container (e.g. a {@link NamedOutputPipe}) are written to `process.stdout`, which stays open.
 */
export class HostStdOut extends Transform<StreamSink> {
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

  /**
   * @param _ctx - Unused.
   * @returns A sink factory writing to `process.stdout`.
   */
  override transform(_ctx: TransformContext): StreamSink {
    return () => forwardingSink(process.stdout);
  }

  /** @returns No fields. */
  override toJSON(): Record<string, unknown> {
    return {};
  }

  /** @returns `HostStdOut`. */
  override toString(): string {
    return 'HostStdOut';
  }
}

/** Like {@link HostStdOut}, for the host process's standard error. */
export class HostStdErr extends Transform<StreamSink> {
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

  /**
   * @param _ctx - Unused.
   * @returns A sink factory writing to `process.stderr`.
   */
  override transform(_ctx: TransformContext): StreamSink {
    return () => forwardingSink(process.stderr);
  }

  /** @returns No fields. */
  override toJSON(): Record<string, unknown> {
    return {};
  }

  /** @returns `HostStdErr`. */
  override toString(): string {
    return 'HostStdErr';
  }
}

/** Which standard stream of the container a marker stands for. */
export type ContainerStreamName = 'stdout' | 'stderr';

/**
 * Marker for the container's standard output as the input side of a {@link Connect}. The
 * docker runner replaces it with the container's demultiplexed stdout (it passes the stream as
 * `containerStdout` to `Connect.connector()`); stdout then no longer goes to the default log.
 */
export class ContainerStdOut extends Transform<ContainerStdOut> {
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

  /**
   * @param _ctx - Unused.
   * @returns The marker itself (as in girder_worker).
   */
  override transform(_ctx: TransformContext): ContainerStdOut {
    return this;
  }

  /** @returns No fields. */
  override toJSON(): Record<string, unknown> {
    return {};
  }

  /** @returns `ContainerStdOut`. */
  override toString(): string {
    return 'ContainerStdOut';
  }
}

/** Like {@link ContainerStdOut}, for the container's standard error. */
export class ContainerStdErr extends Transform<ContainerStdErr> {
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

  /**
   * @param _ctx - Unused.
   * @returns The marker itself (as in girder_worker).
   */
  override transform(_ctx: TransformContext): ContainerStdErr {
    return this;
  }

  /** @returns No fields. */
  override toJSON(): Record<string, unknown> {
    return {};
  }

  /** @returns `ContainerStdErr`. */
  override toString(): string {
    return 'ContainerStdErr';
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
