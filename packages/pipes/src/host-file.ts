import { createWriteStream } from 'node:fs';
import { isAbsolute } from 'node:path';
import {
  type FieldReader,
  SpecValidationError,
  Transform,
  type TransformContext,
} from '@girder-worker/transforms';
import type { StreamSink, StreamSource } from './connector.ts';
import { readFileChunks } from './file-chunks.ts';

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0')) {
    throw new SpecValidationError('path', 'an absolute host path', path);
  }
  return path;
}

/**
 * A file on the host as the input side of a `Connect`: its bytes stream into a
 * `NamedInputPipe` when the container opens it.
 *
 * @example
 * ```ts
 * new Connect(new HostFileSource('/data/input.bin'), new NamedInputPipe('input'))
 * ```
 */
export class HostFileSource extends Transform<StreamSource> {
  /** Serialization kind. */
  static readonly kind: string = 'HostFileSource';
  /** The file read. */
  readonly path: string;

  /**
   * @param path - absolute path of the file to read
   * @throws SpecValidationError when the path is not absolute
   */
  constructor(path: string) {
    super();
    this.path = checkPath(path);
  }

  /**
   * @returns a source opening the file when the connector starts: its bytes as lent chunks read
   * into two reused 1 MiB buffers, so memory stays the same whatever the file's size.
   */
  override transform(_ctx: TransformContext): StreamSource {
    return ({ signal }) => readFileChunks(this.path, { signal });
  }

  /** @returns `{ path }`. */
  override toJSON(): Record<string, unknown> {
    return { path: this.path };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): HostFileSource {
    return new HostFileSource(fields.hostPath('path'));
  }
}

/**
 * A file on the host as the output side of a `Connect`: what the container writes to a
 * `NamedOutputPipe` lands in it (created or truncated).
 *
 * @example
 * ```ts
 * new Connect(new NamedOutputPipe('result'), new HostFileSink('/data/result.bin'))
 * ```
 */
export class HostFileSink extends Transform<StreamSink> {
  /** Serialization kind. */
  static readonly kind: string = 'HostFileSink';
  /** The file written. */
  readonly path: string;

  /**
   * @param path - absolute path of the file to write
   * @throws SpecValidationError when the path is not absolute
   */
  constructor(path: string) {
    super();
    this.path = checkPath(path);
  }

  /**
   * @returns a sink opening the file when the connector starts (an `fs` write stream, which is
   * done with each chunk once written: lent chunks reach it without a copy).
   */
  override transform(_ctx: TransformContext): StreamSink {
    return ({ signal }) => createWriteStream(this.path, { signal });
  }

  /** @returns `{ path }`. */
  override toJSON(): Record<string, unknown> {
    return { path: this.path };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): HostFileSink {
    return new HostFileSink(fields.hostPath('path'));
  }
}
