import { Readable } from 'node:stream';
import type { DownloadBody } from './download-body.ts';

/** How many bytes a {@link DownloadStream} reads ahead of its consumer. */
const STREAM_HIGH_WATER_MARK = 1 << 20;

/**
 * A Readable over a {@link DownloadBody}. Each lent chunk is copied into a Buffer of the stream's
 * own, since a consumer may keep it.
 */
export class DownloadStream extends Readable {
  readonly #body: DownloadBody;
  #reading = false;

  /** @param body - the download */
  constructor(body: DownloadBody) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.#body = body;
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#pull().then(
      () => {
        this.#reading = false;
      },
      (error: unknown) => this.destroy(error as Error),
    );
  }

  async #pull(): Promise<void> {
    for (;;) {
      const chunk = await this.#body.read();
      if (this.destroyed) return;
      if (chunk === null) {
        this.push(null);
        return;
      }
      const owned = this.#body.lent ? Buffer.from(chunk) : chunk;
      if (!this.push(owned)) return;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#body.cancel(error ?? undefined);
    callback(error);
  }
}
