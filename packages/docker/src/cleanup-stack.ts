/**
 * Cleanup steps of a run, run in reverse order of registration, each once, every one even when
 * some fail (a small `AsyncDisposableStack` that also runs on Node 22, collecting the failures).
 */
export class CleanupStack {
  readonly #steps: (() => Promise<void> | void)[] = [];

  /** Registers a step; it runs before every step registered earlier. */
  defer(step: () => Promise<void> | void): void {
    this.#steps.push(step);
  }

  /**
   * Runs every step, last registered first; steps registered meanwhile run too.
   * @returns the failures, in the order the steps ran
   */
  async run(): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }
}
