import type { Transform, TransformKind } from './transform.ts';
import { VolumePath } from './volume-path.ts';
import { BindMountVolume, TemporaryVolume } from './volumes.ts';

/** The kinds `revive` knows, by name. Each package exports a list of its own kinds to register. */
export class TransformRegistry {
  readonly #kinds = new Map<string, TransformKind>();

  /**
   * Adds kinds (a later kind with the same name replaces an earlier one).
   * @returns this registry
   */
  register(...kinds: (TransformKind | readonly TransformKind[])[]): this {
    for (const kind of kinds.flat()) {
      if (typeof kind?.kind !== 'string' || typeof kind.fromJSON !== 'function') {
        throw new TypeError('a transform kind needs a static `kind` string and a static `fromJSON`');
      }
      this.#kinds.set(kind.kind, kind as TransformKind);
    }
    return this;
  }

  /** The kind registered under `name`. */
  get(name: string): TransformKind<Transform> | undefined {
    return this.#kinds.get(name);
  }

  /** Every registered kind name, sorted. */
  names(): string[] {
    return [...this.#kinds.keys()].sort();
  }
}

/** The kinds of this package: BindMountVolume, TemporaryVolume, VolumePath. */
export const coreKinds: readonly TransformKind[] = Object.freeze([
  BindMountVolume,
  TemporaryVolume,
  VolumePath,
]);

/**
 * A registry holding `kinds` (lists or single kinds), always including {@link coreKinds}.
 * @example
 * ```ts
 * const registry = createRegistry(pipesKinds, girderKinds);
 * ```
 */
export function createRegistry(...kinds: (TransformKind | readonly TransformKind[])[]): TransformRegistry {
  return new TransformRegistry().register(coreKinds, ...kinds);
}
