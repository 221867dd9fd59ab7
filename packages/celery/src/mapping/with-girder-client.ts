import { lstat } from 'node:fs/promises';
import type { GirderClient } from '@girder-worker/girder-client';
import {
  ResultTransform,
  type RunResultInfo,
  Transform,
  type TransformContext,
  type VolumePath,
} from '@girder-worker/transforms';
import '@girder-worker/girder';

function withClient(ctx: TransformContext, client: GirderClient | undefined): TransformContext {
  if (!client) return ctx;
  return Object.freeze({ ...ctx, services: ctx.services.with({ girder: client }) });
}

/**
 * Runs a Girder transform with its own Girder client: the one girder_worker pickled into the
 * transform (`gc`: API URL and a token of its own), instead of the run's client.
 */
export class WithGirderClient<T = unknown> extends Transform<T> {
  /** Serialization kind (never serialized: it exists only while a Celery task runs). */
  static readonly kind: string = 'WithGirderClient';
  /** The wrapped transform. */
  readonly inner: Transform<T>;
  readonly #client: GirderClient;

  /**
   * @param inner - the Girder transform
   * @param client - the client it uses
   */
  constructor(inner: Transform<T>, client: GirderClient) {
    super();
    this.inner = inner;
    this.#client = client;
  }

  /** @returns what the inner transform gives, run with this transform's client */
  override transform(ctx: TransformContext): T | Promise<T> {
    return this.inner.transform(withClient(ctx, this.#client));
  }

  /** @returns the inner transform, so volumes and cleanup reach it */
  override toJSON(): Record<string, unknown> {
    return { inner: this.inner };
  }

  /** @returns the inner transform's name */
  override toString(): string {
    return String(this.inner);
  }
}

/** Options of {@link WithGirderClientHook}. */
export interface GirderHookOptions {
  /** The hook's own client (its pickled `gc`); the run's client when undefined. */
  client?: GirderClient | undefined;
  /**
   * Skip the hook (its value is null) when this path does not exist after the run, as
   * girder_worker's `GirderUploadVolumePathToFolder(must_exist=False)` does.
   */
  skipWhenMissing?: VolumePath | undefined;
}

/**
 * {@link WithGirderClient} for a result hook (keeps `exception` and the hook's result), and
 * optionally skips the hook when its path is missing.
 */
export class WithGirderClientHook<R = unknown> extends ResultTransform<R | null> {
  /** Serialization kind (never serialized). */
  static readonly kind: string = 'WithGirderClientHook';
  /** The wrapped hook. */
  readonly inner: ResultTransform<R>;
  readonly #client: GirderClient | undefined;
  readonly #skipWhenMissing: VolumePath | undefined;

  /**
   * @param inner - the Girder result hook
   * @param options - its client, and a path whose absence skips it
   */
  constructor(inner: ResultTransform<R>, options: GirderHookOptions) {
    super();
    this.inner = inner;
    this.#client = options.client;
    this.#skipWhenMissing = options.skipWhenMissing;
  }

  /** @returns the hook's value, run with this hook's client; null when skipped */
  override async transform(ctx: TransformContext, result?: RunResultInfo): Promise<R | null> {
    if (this.#skipWhenMissing) {
      const exists = await lstat(this.#skipWhenMissing.hostPath(ctx)).then(
        () => true,
        () => false,
      );
      if (!exists) return null;
    }
    return this.inner.transform(withClient(ctx, this.#client), result);
  }

  /** Runs the inner hook's `exception` (if any) with this hook's client. */
  override async exception(ctx: TransformContext, error?: unknown): Promise<void> {
    await this.inner.exception?.(withClient(ctx, this.#client), error);
  }

  /** @returns the inner hook, so volumes and cleanup reach it */
  override toJSON(): Record<string, unknown> {
    return { inner: this.inner };
  }

  /** @returns the inner hook's name */
  override toString(): string {
    return String(this.inner);
  }
}
