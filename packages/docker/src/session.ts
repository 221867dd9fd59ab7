import type { Readable } from 'node:stream';
import type { Logger } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { DockerEngineError } from './errors.ts';
import type { ContainerPlan } from './plan.ts';

/** How {@link ContainerSession.close} ends a session. */
export interface SessionCloseOptions {
  /** Remove the container (and its anonymous volumes). */
  remove: boolean;
  /** Kill it when it is kept (a cancelled run must not leave it running). */
  kill: boolean;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

/**
 * One container's life on the engine: create (with the GPU fallback of the plan), attach, start,
 * wait, stop, remove. `close` (or `await using`) removes it; "already gone" counts as done.
 */
export class ContainerSession implements AsyncDisposable {
  /** The container id. */
  readonly id: string;
  readonly #container: Docker.Container;
  readonly #logger: Logger;
  #closeOptions: SessionCloseOptions = { remove: true, kill: false };
  /** The exit, settled by the wait that {@link start} sends. */
  readonly #exited: PromiseWithResolvers<{ StatusCode: number }> = Promise.withResolvers();
  #closed: Promise<void> | undefined;

  private constructor(container: Docker.Container, logger: Logger) {
    this.#container = container;
    this.id = container.id;
    this.#logger = logger;
    // Awaited by the run once started; a run that ends before (a failed start) never asks.
    this.#exited.promise.catch(() => {});
  }

  /**
   * Creates the planned container. When the engine refuses and the plan has a body without GPUs
   * (only the image asked for them), it runs without, as girder_worker does.
   * @throws {@link DockerEngineError} when the engine refuses
   */
  static async create(docker: Docker, plan: ContainerPlan, logger: Logger): Promise<ContainerSession> {
    const image = plan.create.Image ?? '';
    try {
      return new ContainerSession(await docker.createContainer(plan.create), logger);
    } catch (error) {
      if (!plan.withoutGpus) throw new DockerEngineError(`create a container of '${image}'`, error);
      logger.warn('the Docker engine refused GPU device requests; running without GPUs', {
        error: String(error),
      });
      try {
        return new ContainerSession(await docker.createContainer(plan.withoutGpus), logger);
      } catch (retryError) {
        throw new DockerEngineError(`create a container of '${image}'`, retryError);
      }
    }
  }

  /** Attaches to stdout and stderr (multiplexed; call before {@link start} so nothing is lost). */
  async attach(): Promise<Readable> {
    return (await this.#container.attach({
      stream: true,
      stdout: true,
      stderr: true,
    })) as unknown as Readable;
  }

  /**
   * Settles with the container's exit status once it has started and stopped. The engine is asked
   * only after the start, with `not-running`: a `next-exit` wait sent before the start can reach a
   * busy engine after a short-lived container already exited, and then waits for an exit that
   * never comes.
   */
  exited(): Promise<{ StatusCode: number }> {
    return this.#exited.promise;
  }

  /** Starts the container, then asks the engine for its exit. @throws {@link DockerEngineError} */
  async start(): Promise<void> {
    try {
      await this.#container.start();
    } catch (error) {
      throw new DockerEngineError(`start container ${this.id.slice(0, 12)}`, error);
    }
    (this.#container.wait({ condition: 'not-running' }) as Promise<{ StatusCode: number }>).then(
      this.#exited.resolve,
      this.#exited.reject,
    );
  }

  /** Asks it to stop: SIGTERM, then SIGKILL after `graceMs` (rounded up to seconds). Never throws. */
  stop(graceMs: number): void {
    this.#container.stop({ t: Math.ceil(graceMs / 1000) }).catch(() => {});
  }

  /** Sets how {@link close} (and disposal) ends the session. */
  closeWith(options: SessionCloseOptions): void {
    this.#closeOptions = options;
  }

  /**
   * Removes the container (or kills a kept one when asked); once.
   * @throws {@link DockerEngineError} when it cannot be removed
   */
  close(): Promise<void> {
    this.#closed ??= this.#close(this.#closeOptions);
    return this.#closed;
  }

  async #close(options: SessionCloseOptions): Promise<void> {
    if (!options.remove) {
      if (options.kill) await this.#container.kill().catch(() => {});
      return;
    }
    try {
      await this.#container.remove({ force: true, v: true });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return;
      if (status === 409) {
        // Removal already in progress (e.g. AutoRemove): wait until the engine is done.
        await (this.#container.wait({ condition: 'removed' }) as Promise<unknown>).catch(() => {});
        return;
      }
      this.#logger.warn('could not remove the container', { containerId: this.id, error: String(error) });
      throw new DockerEngineError(`remove container ${this.id.slice(0, 12)}`, error);
    }
  }

  /** {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
