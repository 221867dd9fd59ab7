import { isPlainObject } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { fail } from './checks.ts';

/** Create options dockerRun sets itself; a caller may not. */
const MANAGED = ['Tty', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'OpenStdin', 'StdinOnce', 'Volumes'];

function checkStringRecord(value: unknown, path: string): void {
  if (!isPlainObject(value)) fail(path, 'an object of strings', value);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`${path}.${key}`, 'a string', v);
  }
}

/**
 * Checks the Engine API create options a caller passes through (`createOptions`, or a default
 * from the deployment): the shapes dockerRun merges with its own (`Env`, `Labels`, `HostConfig`)
 * and that it manages (`Tty`, attach, `HostConfig.Binds`). The rest goes to the engine as is.
 *
 * @param value - the create options
 * @param path - their JSON path, for errors (e.g. `createOptions`)
 * @returns them, typed
 * @throws `SpecValidationError` naming the field
 */
export function checkCreateOptions(value: unknown, path: string): Docker.ContainerCreateOptions {
  if (!isPlainObject(value)) fail(path, 'an object of Docker create options', value);
  for (const key of MANAGED) {
    if (key in value) fail(`${path}.${key}`, 'not set (dockerRun manages it)', value[key]);
  }
  const env = value.Env;
  if (env !== undefined && (!Array.isArray(env) || env.some((e) => typeof e !== 'string')))
    fail(`${path}.Env`, 'an array of "NAME=value" strings', env);
  if (value.Labels !== undefined) checkStringRecord(value.Labels, `${path}.Labels`);
  const hostConfig = value.HostConfig;
  if (hostConfig !== undefined) {
    if (!isPlainObject(hostConfig)) fail(`${path}.HostConfig`, 'an object of host settings', hostConfig);
    if (hostConfig.Binds !== undefined)
      fail(`${path}.HostConfig.Binds`, 'not set (use volumes)', hostConfig.Binds);
  }
  return value as Docker.ContainerCreateOptions;
}

/** `base` beneath `over`: top-level keys replaced, `HostConfig` merged key by key. */
export function mergeCreateOptions(
  base: Docker.ContainerCreateOptions,
  over: Docker.ContainerCreateOptions,
): Docker.ContainerCreateOptions {
  const merged = { ...base, ...over };
  if (base.HostConfig && over.HostConfig) merged.HostConfig = { ...base.HostConfig, ...over.HostConfig };
  return merged;
}
