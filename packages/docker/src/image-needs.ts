import { SpecValidationError } from '@girder-worker/transforms';
import type { RunResources } from './resources.ts';

/**
 * The prefix of the image labels by which an image declares what it needs, e.g.
 * `LABEL org.girder-worker.needs.memory=4g org.girder-worker.needs.gpus=1`.
 */
const IMAGE_NEEDS_PREFIX = 'org.girder-worker.needs.';

/** What an image declares it needs (see {@link IMAGE_NEEDS_PREFIX}). */
export interface ImageNeeds {
  /** Resource limits the container gets unless the run sets them. */
  resources: RunResources;
  /** GPUs: a count, or `true` for all of them. */
  gpus?: number | true;
}

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Reads a byte size as Docker writes it: `1048576`, `512m`, `4g`, `1.5G`, `64MiB`.
 * @returns the bytes, or undefined when it is not a size
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1);
  return Number.isFinite(bytes) ? Math.round(bytes) : undefined;
}

type Reader = (text: string) => number | undefined;
const integer: Reader = (t) => (/^\d+$/.test(t.trim()) ? Number(t) : undefined);
const decimal: Reader = (t) => (/^\d+(\.\d+)?$/.test(t.trim()) ? Number(t) : undefined);

/** Each label after the prefix: what it sets and how it is read. */
const LABELS: ReadonlyArray<[label: string, field: keyof RunResources, read: Reader, expected: string]> = [
  ['memory', 'memoryBytes', parseByteSize, 'a size such as "4g"'],
  ['memory-swap', 'memorySwapBytes', parseByteSize, 'a size such as "8g"'],
  ['shm-size', 'shmSizeBytes', parseByteSize, 'a size such as "1g"'],
  ['cpus', 'cpus', decimal, 'a number of CPUs such as "2" or "1.5"'],
  ['pids-limit', 'pidsLimit', integer, 'a whole number such as "512"'],
];

/**
 * Reads the needs an image declares in its labels (`org.girder-worker.needs.memory`, `.memory-swap`,
 * `.shm-size`, `.cpus`, `.pids-limit`, `.gpus`). Other labels are left alone; an unknown `needs`
 * label or an unreadable value is the image's mistake and fails the run naming both.
 *
 * @param image - the image (for messages)
 * @param labels - its labels, from inspect
 * @returns the needs
 * @throws `SpecValidationError` naming the image and the label
 */
export function readImageNeeds(
  image: string,
  labels: Readonly<Record<string, string>> | undefined,
): ImageNeeds {
  const needs: ImageNeeds = { resources: {} };
  for (const [name, value] of Object.entries(labels ?? {})) {
    if (!name.startsWith(IMAGE_NEEDS_PREFIX)) continue;
    const key = name.slice(IMAGE_NEEDS_PREFIX.length);
    const where = `image '${image}' label ${name}`;
    if (key === 'gpus') {
      const count = value.trim() === 'all' ? true : integer(value);
      if (count === undefined || count === 0)
        throw new SpecValidationError(where, '"all" or a count from 1', value);
      needs.gpus = count;
      continue;
    }
    const row = LABELS.find(([label]) => label === key);
    if (!row)
      throw new SpecValidationError(where, `one of ${[...LABELS.map(([l]) => l), 'gpus'].join(', ')}`, key);
    const [, field, read, expected] = row;
    const parsed = read(value);
    if (parsed === undefined || parsed <= 0) throw new SpecValidationError(where, expected, value);
    (needs.resources as Record<string, number>)[field] = parsed;
  }
  return needs;
}

/** The most a run may get, for the needs an image declares (a worker policy's limits). */
export interface ResourceCeilings {
  /** Memory limit in bytes. */
  memoryBytes?: number | undefined;
  /** CPU limit in billionths of a CPU. */
  nanoCpus?: number | undefined;
  /** Process limit. */
  pidsLimit?: number | undefined;
}

/**
 * Keeps an image's needs within the worker's ceilings: a need above a ceiling is lowered to it
 * (the image's author cannot know each site's limits), and `onLowered` says so.
 */
export function boundImageNeeds(
  needs: ImageNeeds,
  ceilings: ResourceCeilings,
  onLowered: (need: string, asked: number, ceiling: number) => void = () => {},
): ImageNeeds {
  const resources: RunResources = { ...needs.resources };
  const bound = (field: 'memoryBytes' | 'pidsLimit', ceiling: number | undefined): void => {
    const asked = resources[field];
    if (asked !== undefined && ceiling !== undefined && asked > ceiling) {
      onLowered(field, asked, ceiling);
      resources[field] = ceiling;
    }
  };
  bound('memoryBytes', ceilings.memoryBytes);
  bound('pidsLimit', ceilings.pidsLimit);
  if (
    resources.cpus !== undefined &&
    ceilings.nanoCpus !== undefined &&
    resources.cpus * 1e9 > ceilings.nanoCpus
  ) {
    onLowered('cpus', resources.cpus, ceilings.nanoCpus / 1e9);
    resources.cpus = ceilings.nanoCpus / 1e9;
  }
  if (
    resources.memorySwapBytes !== undefined &&
    resources.memoryBytes !== undefined &&
    resources.memorySwapBytes < resources.memoryBytes
  )
    resources.memorySwapBytes = resources.memoryBytes;
  return { ...needs, resources };
}
