import { PassThrough, type Readable, Writable } from 'node:stream';
import { LentChunks, type StreamSink, type StreamSource } from '@girder-worker/pipes';
import {
  type FieldReader,
  SpecValidationError,
  Transform,
  type TransformContext,
} from '@girder-worker/transforms';
import { checkId, readId } from './ids.ts';
import { girderClientOf } from './services.ts';

/**
 * Streams a Girder file into a container without a temporary file: the input side of a
 * `Connect` to a `NamedInputPipe` (girder_worker's `GirderFileIdToStream`). The download starts
 * when the container opens its pipe and resumes with Range requests if the connection drops.
 *
 * @example
 * ```ts
 * const pipe = new NamedInputPipe('input.bin');
 * dockerRun({ image, containerArgs: [new Connect(new GirderFileIdToStream(fileId), pipe)], services });
 * ```
 */
export class GirderFileIdToStream extends Transform<StreamSource> {
  /** Serialization kind. */
  static readonly kind: string = 'GirderFileIdToStream';
  /** The Girder file id. */
  readonly fileId: string;

  /** @param fileId - Girder file id */
  constructor(fileId: string) {
    super();
    this.fileId = checkId(fileId, 'fileId');
  }

  /**
   * A source that opens the download when the connector starts. Its chunks are lent (the
   * download reuses two buffers), so bytes go from the socket to the named pipe with no copy in
   * between.
   */
  transform(ctx: TransformContext): StreamSource {
    const client = girderClientOf(ctx);
    return ({ signal }) => new LentChunks(client.downloadFileChunks(this.fileId, { signal }));
  }

  /** Fields for serialization. */
  toJSON(): Record<string, unknown> {
    return { fileId: this.fileId };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderFileIdToStream {
    return new GirderFileIdToStream(readId(fields, 'fileId'));
  }
}

/**
 * A Writable that feeds an upload: writes go to the upload's body with backpressure, and the
 * stream finishes only once Girder has the whole file, so an upload failure fails the transfer.
 */
class UploadSink extends Writable {
  readonly #body = new PassThrough();
  readonly #uploaded: Promise<void>;

  constructor(start: (body: Readable) => Promise<void>) {
    super();
    this.#uploaded = start(this.#body);
    this.#uploaded.catch((error: Error) => this.destroy(error));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#body.write(chunk)) callback();
    else this.#body.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#body.end();
    this.#uploaded.then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#body.destroy(error ?? undefined);
    callback(error);
  }
}

/** Options of {@link GirderUploadStream}. */
export interface GirderUploadStreamOptions {
  /** Whether the new file goes into an item, or into a folder (which creates an item named after it). */
  parentType: 'item' | 'folder';
  /** The item or folder id. */
  parentId: string;
  /** The file name in Girder. */
  name: string;
  /**
   * The exact number of bytes the container will write. Given: bytes stream straight through
   * (memory bounded by one chunk, no temporary file). Absent: Girder needs the size up front, so
   * the bytes are spooled to a temporary file and uploaded when the pipe closes.
   * @default undefined
   */
  size?: number;
  /**
   * MIME type.
   * @default 'application/octet-stream'
   */
  mimeType?: string;
}

/**
 * A sink that moves a container's output into a new Girder file while the container runs: the
 * output side of a `Connect` from a `NamedOutputPipe`. The uploaded file document is logged.
 *
 * @example
 * ```ts
 * const out = new NamedOutputPipe('result.bin');
 * dockerRun({ image, containerArgs: [new Connect(out, new GirderUploadStream({ parentType: 'folder', parentId, name: 'result.bin' }))] });
 * ```
 */
export class GirderUploadStream extends Transform<StreamSink> {
  /** Serialization kind. */
  static readonly kind: string = 'GirderUploadStream';
  /** Where and how the file is created. */
  readonly options: Readonly<GirderUploadStreamOptions>;

  /**
   * @param options - parent, name, optional size and MIME type
   * @throws {@link SpecValidationError} on a bad field
   */
  constructor(options: GirderUploadStreamOptions) {
    super();
    if (options.parentType !== 'item' && options.parentType !== 'folder') {
      throw new SpecValidationError('parentType', '"item" | "folder"', options.parentType);
    }
    checkId(options.parentId, 'parentId');
    if (typeof options.name !== 'string' || options.name === '') {
      throw new SpecValidationError('name', 'a non-empty file name', options.name);
    }
    if (options.size !== undefined && !(Number.isSafeInteger(options.size) && options.size >= 0)) {
      throw new SpecValidationError('size', 'a byte count (integer >= 0)', options.size);
    }
    this.options = Object.freeze({ ...options });
  }

  /**
   * A sink factory: each start begins an upload fed by a pass-through stream; the upload's
   * completion (or failure) ends the writable side, so the connector waits for Girder's answer.
   */
  transform(ctx: TransformContext): StreamSink {
    const client = girderClientOf(ctx);
    const { parentType, parentId, name, size, mimeType } = this.options;
    return ({ signal }): Writable =>
      new UploadSink((body) =>
        client
          .uploadFile(
            {
              parentType,
              parentId,
              name,
              ...(size === undefined ? {} : { size }),
              ...(mimeType === undefined ? {} : { mimeType }),
              signal,
            },
            body,
          )
          .then((file) => {
            ctx.logger.info('uploaded a stream to Girder', { fileId: file._id, name });
          }),
      );
  }

  /** Fields for serialization (ids only). */
  toJSON(): Record<string, unknown> {
    return { ...this.options };
  }

  /** Revives from validated fields. */
  static fromJSON(fields: FieldReader): GirderUploadStream {
    const size = fields.optional('size', (r, n) => r.integer(n, 0));
    const mimeType = fields.optionalString('mimeType');
    return new GirderUploadStream({
      parentType: fields.oneOf('parentType', ['item', 'folder'] as const),
      parentId: readId(fields, 'parentId'),
      name: fields.nonEmptyString('name'),
      ...(size === undefined ? {} : { size }),
      ...(mimeType === undefined ? {} : { mimeType }),
    });
  }
}
