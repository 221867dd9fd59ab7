/**
 * The ids of revoked tasks, as Celery's worker keeps them (`LimitedSet`, at most 50 000 ids, each
 * forgotten 3 hours after it was revoked). In memory: a restarted worker forgets, like a Celery
 * worker without `--statedb`.
 */
export class RevokedSet {
  readonly #entries = new Map<string, number>();
  readonly #maxSize: number;
  readonly #expiresMs: number;

  /**
   * @param maxSize - Celery's `REVOKES_MAX` @default 50_000
   * @param expiresMs - Celery's `REVOKE_EXPIRES` @default 10_800_000
   */
  constructor(maxSize = 50_000, expiresMs = 10_800_000) {
    this.#maxSize = maxSize;
    this.#expiresMs = expiresMs;
  }

  /** Remembers `id` as revoked at `atMs` (default now). */
  add(id: string, atMs: number = Date.now()): void {
    this.#entries.delete(id);
    this.#entries.set(id, atMs);
    this.#prune();
  }

  /** Whether `id` was revoked (and not yet forgotten). */
  has(id: string): boolean {
    this.#prune();
    return this.#entries.has(id);
  }

  /** `{id: revoked-at in Unix seconds}`, as Celery's `hello` reply carries `revoked._data`. */
  toJSON(): Record<string, number> {
    this.#prune();
    const out: Record<string, number> = {};
    // Python's LimitedSet.update wants floats: keep a fractional part.
    for (const [id, at] of this.#entries) out[id] = at / 1000 + (at % 1000 === 0 ? 0.0001 : 0);
    return out;
  }

  /** The ids, oldest first. */
  ids(): string[] {
    this.#prune();
    return [...this.#entries.keys()];
  }

  #prune(): void {
    const oldest = Date.now() - this.#expiresMs;
    for (const [id, at] of this.#entries) {
      if (at >= oldest && this.#entries.size <= this.#maxSize) break;
      this.#entries.delete(id);
    }
  }
}
