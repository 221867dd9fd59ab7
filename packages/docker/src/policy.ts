import { isPlainObject } from '@girder-worker/transforms';
import { fail } from './checks.ts';

/**
 * Engine options a spec may never set under a policy (paths in the create body), unless the
 * policy lifts one with `allow`: each gives the container power over the host.
 */
export const DEFAULT_FORBIDDEN_OPTIONS: readonly string[] = Object.freeze([
  'HostConfig.Privileged',
  'HostConfig.CapAdd',
  'HostConfig.Devices',
  'HostConfig.DeviceCgroupRules',
  'HostConfig.Mounts',
  'HostConfig.VolumesFrom',
  'HostConfig.VolumeDriver',
  'HostConfig.PidMode',
  'HostConfig.IpcMode',
  'HostConfig.UTSMode',
  'HostConfig.UsernsMode',
  'HostConfig.CgroupnsMode',
  'HostConfig.Cgroup',
  'HostConfig.CgroupParent',
  'HostConfig.SecurityOpt',
  'HostConfig.Sysctls',
  'HostConfig.Runtime',
  'HostConfig.PortBindings',
  'HostConfig.PublishAllPorts',
  'HostConfig.Links',
  'HostConfig.ExtraHosts',
  'HostConfig.OomKillDisable',
  'HostConfig.OomScoreAdj',
  'HostConfig.Capabilities',
  'HostConfig.MaskedPaths',
  'HostConfig.ReadonlyPaths',
  'HostConfig.ContainerIDFile',
  'NetworkingConfig',
]);

/**
 * What a worker lets runs from a queue do (see {@link parseRunPolicy}). Whoever can write to the
 * queue can run containers on the worker; the policy bounds what their specs may ask for.
 */
export interface RunPolicy {
  /**
   * Images a run may use, as globs: `*` matches within one path segment, `**` across segments,
   * `?` one character. An image without tag or digest is matched as `<image>:latest` too.
   */
  readonly images: readonly string[];
  /**
   * Host directories under which a spec's host paths (bind mounts, temporary volume `hostDir`,
   * host files, named pipe folders) must lie; symlinks are resolved before the check.
   * @default [] (no host path at all: only the run's own temporary volumes)
   */
  readonly hostPaths: readonly string[];
  /** Engine options (create-body paths such as `HostConfig.Privileged`) a spec may not set. */
  readonly forbiddenOptions: readonly string[];
  /**
   * Network mode every run gets; a spec asking for another is refused.
   * @default 'none'
   */
  readonly networkMode: string;
  /** Memory limit in bytes: the default, and the most a spec may ask for (`HostConfig.Memory`). */
  readonly memoryBytes: number | undefined;
  /** CPU limit in billionths of a CPU: default and ceiling (`HostConfig.NanoCpus`). */
  readonly nanoCpus: number | undefined;
  /** Process limit: default and ceiling (`HostConfig.PidsLimit`). */
  readonly pidsLimit: number | undefined;
  /** Run time limit in milliseconds: default and ceiling (`timeoutMs`). */
  readonly timeoutMs: number | undefined;
}

const FIELDS = [
  'images',
  'hostPaths',
  'forbid',
  'allow',
  'networkMode',
  'memoryBytes',
  'nanoCpus',
  'pidsLimit',
  'timeoutMs',
] as const;

function strings(value: unknown, path: string, check: (s: string) => boolean, expected: string): string[] {
  if (!Array.isArray(value)) fail(path, `an array, each ${expected}`, value);
  return value.map((v, i) => (typeof v === 'string' && check(v) ? v : fail(`${path}[${i}]`, expected, v)));
}

function limit(value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined;
  return Number.isSafeInteger(value) && (value as number) > 0
    ? (value as number)
    : fail(path, 'a positive integer', value);
}

/**
 * Validates a worker policy (JSON from a policy file, or an object):
 *
 * ```json
 * { "images": ["girder-worker-test/*"], "hostPaths": ["/srv/data"], "forbid": ["HostConfig.ShmSize"],
 *   "allow": ["HostConfig.ExtraHosts"], "networkMode": "none", "memoryBytes": 2147483648,
 *   "nanoCpus": 2000000000, "pidsLimit": 512, "timeoutMs": 3600000 }
 * ```
 *
 * `images` is required; `forbid` adds to {@link DEFAULT_FORBIDDEN_OPTIONS} and `allow` lifts
 * entries of it. Unknown fields are refused.
 *
 * @param json - the policy
 * @param path - its name in errors
 * @default path 'policy'
 * @returns the policy, frozen
 * @throws `SpecValidationError` naming the field (e.g. `policy.images[1]`)
 */
export function parseRunPolicy(json: unknown, path = 'policy'): RunPolicy {
  if (!isPlainObject(json)) fail(path, 'a policy object { images, hostPaths?, forbid?, … }', json);
  const at = (name: string): string => `${path}.${name}`;
  for (const key of Object.keys(json)) {
    if (!(FIELDS as readonly string[]).includes(key) && !(key === 'forbiddenOptions'))
      fail(at(key), `a policy field (${FIELDS.join(', ')})`, key);
  }
  const isPath = (s: string): boolean =>
    s.startsWith('/') && !s.includes('\0') && !s.split('/').includes('..');
  const images = strings(json.images, at('images'), (s) => s.length > 0, 'an image glob');
  const hostPaths =
    json.hostPaths === undefined
      ? []
      : strings(json.hostPaths, at('hostPaths'), isPath, 'an absolute host path');
  const isOption = (s: string): boolean => /^[A-Za-z]+(\.[A-Za-z]+)*$/.test(s);
  // An already parsed policy carries its full list; a policy file adds to and lifts from the default.
  const forbidden =
    json.forbiddenOptions !== undefined
      ? strings(json.forbiddenOptions, at('forbiddenOptions'), isOption, 'an option path')
      : DEFAULT_FORBIDDEN_OPTIONS;
  const forbid =
    json.forbid === undefined ? [] : strings(json.forbid, at('forbid'), isOption, 'an option path');
  const allow =
    json.allow === undefined
      ? []
      : strings(
          json.allow,
          at('allow'),
          (s) => DEFAULT_FORBIDDEN_OPTIONS.includes(s),
          'a default forbidden option',
        );
  const networkMode = json.networkMode ?? 'none';
  if (typeof networkMode !== 'string' || networkMode === '')
    fail(at('networkMode'), 'a Docker network mode such as "none"', networkMode);
  return Object.freeze({
    images: Object.freeze(images),
    hostPaths: Object.freeze(hostPaths),
    forbiddenOptions: Object.freeze(
      [...new Set([...forbidden, ...forbid])].filter((o) => !allow.includes(o)),
    ),
    networkMode,
    memoryBytes: limit(json.memoryBytes, at('memoryBytes')),
    nanoCpus: limit(json.nanoCpus, at('nanoCpus')),
    pidsLimit: limit(json.pidsLimit, at('pidsLimit')),
    timeoutMs: limit(json.timeoutMs, at('timeoutMs')),
  });
}
