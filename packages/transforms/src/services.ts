import { MissingServiceError } from './errors.ts';

/**
 * The typed services a run hands its transforms. Core knows none; packages add theirs by
 * module augmentation:
 *
 * @example
 * ```ts
 * declare module '@girder-worker/transforms' {
 *   interface ServiceMap { girder: GirderClient }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by other packages
export interface ServiceMap {}

/** An immutable, typed map of services. */
export class Services {
  readonly #entries: ReadonlyMap<string, unknown>;

  /** @param entries - the services, by key */
  constructor(entries: Partial<ServiceMap> = {}) {
    this.#entries = new Map(Object.entries(entries).filter(([, v]) => v !== undefined));
  }

  /**
   * The service under `key`.
   * @throws {@link MissingServiceError} when the run did not provide it
   */
  get<K extends keyof ServiceMap>(key: K): ServiceMap[K] {
    if (!this.#entries.has(key as string)) throw new MissingServiceError(String(key));
    return this.#entries.get(key as string) as ServiceMap[K];
  }

  /** Whether the run provided `key`. */
  has(key: keyof ServiceMap): boolean {
    return this.#entries.has(key as string);
  }

  /** A new map with `entries` added (or replaced). */
  with(entries: Partial<ServiceMap>): Services {
    return new Services({ ...Object.fromEntries(this.#entries), ...entries } as Partial<ServiceMap>);
  }
}
