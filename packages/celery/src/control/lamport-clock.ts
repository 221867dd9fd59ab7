/** Celery's Lamport clock for mailbox messages (`clock` header): adjust on receive, forward on send. */
export class LamportClock {
  #value = 0;

  /** The current value. */
  get value(): number {
    return this.#value;
  }

  /** Takes in a received `clock` header: max(ours, theirs) + 1. */
  adjust(other: unknown): number {
    const theirs = typeof other === 'number' && Number.isFinite(other) ? other : 0;
    this.#value = Math.max(this.#value, theirs) + 1;
    return this.#value;
  }

  /** Advances for a message we send and returns the new value. */
  forward(): number {
    this.#value += 1;
    return this.#value;
  }
}
