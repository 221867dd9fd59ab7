import { isPlainObject } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { fail } from './checks.ts';

/** A soft and a hard limit (`ulimit -S` / `-H`). */
export interface UlimitValue {
  /** The soft limit. */
  soft: number;
  /** The hard limit (at least `soft`). */
  hard: number;
}

/**
 * Resource limits of a run, typed (mapped to the Engine API by `planContainer`). Each may be set
 * here or in `createOptions.HostConfig`, not both.
 */
export interface RunResources {
  /** Memory limit in bytes (`HostConfig.Memory`), at least 6 MiB. */
  memoryBytes?: number;
  /** Memory plus swap in bytes (`HostConfig.MemorySwap`), at least `memoryBytes`; -1 for unlimited swap. */
  memorySwapBytes?: number;
  /** CPUs, fractions allowed, e.g. 1.5 (`HostConfig.NanoCpus`). */
  cpus?: number;
  /** Most processes and threads at once (`HostConfig.PidsLimit`). */
  pidsLimit?: number;
  /** Size of `/dev/shm` in bytes (`HostConfig.ShmSize`). */
  shmSizeBytes?: number;
  /** Ulimits by name (`nofile`, `nproc`, `core`, …): a number sets both soft and hard. */
  ulimits?: Readonly<Record<string, number | UlimitValue>>;
}

/** Which create option each resource sets. */
export const RESOURCE_OPTIONS: Readonly<Record<keyof RunResources, string>> = Object.freeze({
  memoryBytes: 'Memory',
  memorySwapBytes: 'MemorySwap',
  cpus: 'NanoCpus',
  pidsLimit: 'PidsLimit',
  shmSizeBytes: 'ShmSize',
  ulimits: 'Ulimits',
});

const MIN_MEMORY = 6 * 1024 * 1024;

function positiveInteger(value: unknown, path: string, min = 1): number {
  return Number.isSafeInteger(value) && (value as number) >= min
    ? (value as number)
    : fail(path, `an integer >= ${min}`, value);
}

function checkUlimits(value: unknown, path: string): Record<string, number | UlimitValue> {
  if (!isPlainObject(value)) fail(path, 'an object of ulimits by name, e.g. { "nofile": 1024 }', value);
  for (const [name, limit] of Object.entries(value)) {
    const at = `${path}.${name}`;
    if (!/^[a-z]+$/.test(name)) fail(at, 'a ulimit name such as "nofile"', name);
    if (typeof limit === 'number') {
      positiveInteger(limit, at, 0);
      continue;
    }
    if (!isPlainObject(limit)) fail(at, 'a number or { soft, hard }', limit);
    for (const key of Object.keys(limit))
      if (key !== 'soft' && key !== 'hard') fail(`${at}.${key}`, 'soft or hard', key);
    const soft = positiveInteger(limit.soft, `${at}.soft`, 0);
    const hard = positiveInteger(limit.hard, `${at}.hard`, 0);
    if (hard < soft) fail(`${at}.hard`, `at least soft (${soft})`, hard);
  }
  return value as Record<string, number | UlimitValue>;
}

/**
 * Validates `resources`, naming each field.
 * @throws `SpecValidationError`
 */
export function checkResources(value: unknown, path: string): RunResources {
  if (!isPlainObject(value)) fail(path, 'an object of resource limits', value);
  const known = Object.keys(RESOURCE_OPTIONS);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${path}.${key}`, `a resource (${known.join(', ')})`, key);
  }
  const out: RunResources = {};
  if (value.memoryBytes !== undefined)
    out.memoryBytes = positiveInteger(value.memoryBytes, `${path}.memoryBytes`, MIN_MEMORY);
  if (value.memorySwapBytes !== undefined) {
    const at = `${path}.memorySwapBytes`;
    if (out.memoryBytes === undefined) fail(at, 'set together with memoryBytes', value.memorySwapBytes);
    out.memorySwapBytes =
      value.memorySwapBytes === -1 ? -1 : positiveInteger(value.memorySwapBytes, at, out.memoryBytes);
  }
  if (value.cpus !== undefined) {
    const cpus = value.cpus;
    if (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus < 0.01 || cpus > 4096)
      fail(`${path}.cpus`, 'a number of CPUs from 0.01, e.g. 1.5', cpus);
    out.cpus = cpus;
  }
  if (value.pidsLimit !== undefined) out.pidsLimit = positiveInteger(value.pidsLimit, `${path}.pidsLimit`);
  if (value.shmSizeBytes !== undefined)
    out.shmSizeBytes = positiveInteger(value.shmSizeBytes, `${path}.shmSizeBytes`);
  if (value.ulimits !== undefined) out.ulimits = checkUlimits(value.ulimits, `${path}.ulimits`);
  return out;
}

/** The `HostConfig` settings of `resources` (only those set). */
export function resourceHostConfig(resources: RunResources): Docker.HostConfig {
  const out: Docker.HostConfig = {};
  if (resources.memoryBytes !== undefined) out.Memory = resources.memoryBytes;
  if (resources.memorySwapBytes !== undefined) out.MemorySwap = resources.memorySwapBytes;
  if (resources.cpus !== undefined) out.NanoCpus = Math.round(resources.cpus * 1e9);
  if (resources.pidsLimit !== undefined) out.PidsLimit = resources.pidsLimit;
  if (resources.shmSizeBytes !== undefined) out.ShmSize = resources.shmSizeBytes;
  if (resources.ulimits !== undefined) {
    out.Ulimits = Object.entries(resources.ulimits).map(([Name, limit]) =>
      typeof limit === 'number'
        ? { Name, Soft: limit, Hard: limit }
        : { Name, Soft: limit.soft, Hard: limit.hard },
    );
  }
  return out;
}

/**
 * Refuses a resource set both in `resources` and in `createOptions.HostConfig` (which would win
 * is not obvious).
 * @throws `SpecValidationError` naming the resource
 */
export function checkNoDoubleResources(
  resources: RunResources,
  createOptions: Docker.ContainerCreateOptions,
): void {
  const hostConfig = (createOptions.HostConfig ?? {}) as Record<string, unknown>;
  for (const [key, option] of Object.entries(RESOURCE_OPTIONS)) {
    if (resources[key as keyof RunResources] !== undefined && hostConfig[option] !== undefined)
      fail(
        `resources.${key}`,
        `not set together with createOptions.HostConfig.${option}`,
        resources[key as keyof RunResources],
      );
  }
}
