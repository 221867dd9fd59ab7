import { realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isPlainObject } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { PolicyViolationError } from './errors.ts';
import type { HostPathUse } from './inventory.ts';
import type { RunPolicy } from './policy.ts';
import { RESOURCE_OPTIONS, type RunResources, resourceHostConfig } from './resources.ts';

const BY = 'by the worker policy';

function violation(path: string, expected: string, received: unknown): never {
  throw new PolicyViolationError(path, expected, received);
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether `image` matches one of the policy's globs (as written, or with `:latest` when untagged). */
function imageAllowed(policy: RunPolicy, image: string): boolean {
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const candidates = lastSegment.includes(':') || image.includes('@') ? [image] : [image, `${image}:latest`];
  return policy.images.some((glob) => candidates.some((c) => globToRegExp(glob).test(c)));
}

/** The value at `path` (`HostConfig.Privileged`), matching keys case-insensitively as the engine does. */
function valuesAt(body: unknown, path: string): { at: string; value: unknown }[] {
  let level: { at: string; value: unknown }[] = [{ at: '', value: body }];
  for (const segment of path.split('.')) {
    const next: { at: string; value: unknown }[] = [];
    for (const { at, value } of level) {
      if (!isPlainObject(value)) continue;
      for (const [key, v] of Object.entries(value)) {
        if (key.toLowerCase() === segment.toLowerCase() && v !== undefined && v !== null)
          next.push({ at: at ? `${at}.${key}` : key, value: v });
      }
    }
    level = next;
  }
  return level;
}

/** Refuses keys the engine would read as a watched option under another spelling (`hostconfig`). */
function checkSpelling(body: Docker.ContainerCreateOptions, field: string, watched: readonly string[]): void {
  for (const path of watched) {
    for (const { at } of valuesAt(body, path)) {
      if (at !== path)
        violation(`${field}.${at}`, `the Engine API's spelling "${path}" under a worker policy`, at);
    }
  }
}

const LIMITS = [
  ['Memory', 'memoryBytes'],
  ['NanoCpus', 'nanoCpus'],
  ['PidsLimit', 'pidsLimit'],
] as const;

/** Checks each enforced limit on `hostConfig` (what the container gets); fills in unset ones. */
function checkLimits(
  policy: RunPolicy,
  hostConfig: Record<string, unknown>,
  fieldOf: (key: string) => string,
): void {
  for (const [key, name] of LIMITS) {
    const ceiling = policy[name];
    if (ceiling === undefined) continue;
    const asked = hostConfig[key];
    if (asked === undefined || asked === null || asked === 0) {
      hostConfig[key] = ceiling;
      continue;
    }
    if (typeof asked !== 'number' || asked < 0 || asked > ceiling)
      violation(fieldOf(key), `at most ${ceiling} (the limit set ${BY})`, asked);
  }
}

/**
 * Checks a run's image and create options against the policy and applies what it enforces
 * (network mode, limits). Called on the options, before anything is created.
 *
 * @returns the create options with the enforced settings
 * @throws {@link PolicyViolationError} naming the field
 */
export function enforceOnOptions(
  policy: RunPolicy,
  image: string,
  createOptions: Docker.ContainerCreateOptions,
  resources: RunResources = {},
): Docker.ContainerCreateOptions {
  if (!imageAllowed(policy, image))
    violation('image', `an image allowed ${BY} (${policy.images.join(', ')})`, image);
  const limits = [
    'HostConfig.NetworkMode',
    'HostConfig.Memory',
    'HostConfig.NanoCpus',
    'HostConfig.PidsLimit',
  ];
  checkSpelling(createOptions, 'createOptions', ['HostConfig', ...policy.forbiddenOptions, ...limits]);
  for (const path of policy.forbiddenOptions) {
    for (const { at, value } of valuesAt(createOptions, path))
      violation(`createOptions.${at}`, `not set (forbidden ${BY})`, value);
  }
  const hostConfig: Record<string, unknown> = { ...(createOptions.HostConfig ?? {}) };
  const network = hostConfig.NetworkMode;
  if (network !== undefined && network !== policy.networkMode)
    violation('createOptions.HostConfig.NetworkMode', `"${policy.networkMode}" (enforced ${BY})`, network);
  hostConfig.NetworkMode = policy.networkMode;
  // What the container will get: typed resources over the create options (see planContainer).
  const typed = resourceHostConfig(resources) as Record<string, unknown>;
  const resourceOf = (key: string): string | undefined =>
    Object.entries(RESOURCE_OPTIONS).find(([, option]) => option === key)?.[0];
  const effective = { ...hostConfig, ...typed };
  checkLimits(policy, effective, (key) =>
    key in typed ? `resources.${resourceOf(key)}` : `createOptions.HostConfig.${key}`,
  );
  for (const [key] of LIMITS) if (!(key in typed)) hostConfig[key] = effective[key];
  return { ...createOptions, HostConfig: hostConfig as Docker.HostConfig };
}

/**
 * The run's time limit under the policy: its own when within the policy's, else the policy's.
 * @throws {@link PolicyViolationError} when the run asks for longer
 */
export function enforceTimeout(policy: RunPolicy, timeoutMs: number | undefined): number | undefined {
  if (policy.timeoutMs === undefined) return timeoutMs;
  if (timeoutMs === undefined) return policy.timeoutMs;
  if (timeoutMs > policy.timeoutMs)
    violation('timeoutMs', `at most ${policy.timeoutMs} (the limit set ${BY})`, timeoutMs);
  return timeoutMs;
}

/** The path with symlinks resolved as far as it exists (the rest appended). */
async function realPathOf(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return resolve(await realPathOf(parent), absolute.slice(parent.length + 1));
  }
}

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/**
 * Checks that every host path lies under a root the policy allows, symlinks resolved (a link
 * inside an allowed root that points elsewhere is refused).
 * @throws {@link PolicyViolationError} naming the field
 */
export async function enforceOnHostPaths(policy: RunPolicy, uses: readonly HostPathUse[]): Promise<void> {
  const roots = await Promise.all(
    policy.hostPaths.map(async (root) => [resolve(root), await realPathOf(root)]),
  );
  for (const use of uses) {
    const written = resolve(use.path);
    const real = await realPathOf(use.path);
    const allowed = roots.some(
      ([root, realRoot]) => isUnder(written, root as string) && isUnder(real, realRoot as string),
    );
    if (!allowed) {
      const where =
        policy.hostPaths.length > 0 ? `under ${policy.hostPaths.join(', ')}` : 'none: no host path';
      violation(use.field, `a host path allowed ${BY} (${where})`, use.path);
    }
  }
}

/**
 * The last check, on the planned create body itself: nothing forbidden, the enforced network, and
 * every bind either under an allowed root or one of the run's own temporary directories.
 * @throws {@link PolicyViolationError}
 */
export async function enforceOnPlan(
  policy: RunPolicy,
  create: Docker.ContainerCreateOptions,
  ownDirs: readonly string[],
): Promise<void> {
  for (const path of policy.forbiddenOptions) {
    for (const { at, value } of valuesAt(create, path)) violation(at, `not set (forbidden ${BY})`, value);
  }
  checkLimits(policy, { ...create.HostConfig } as Record<string, unknown>, (key) => `HostConfig.${key}`);
  if (create.HostConfig?.NetworkMode !== policy.networkMode)
    violation(
      'HostConfig.NetworkMode',
      `"${policy.networkMode}" (enforced ${BY})`,
      create.HostConfig?.NetworkMode,
    );
  const binds = (create.HostConfig?.Binds ?? []).map((bind, i) => ({
    path: bind.split(':')[0] ?? '',
    field: `HostConfig.Binds[${i}]`,
  }));
  await enforceOnHostPaths(
    policy,
    binds.filter((b) => !ownDirs.includes(b.path)),
  );
}
