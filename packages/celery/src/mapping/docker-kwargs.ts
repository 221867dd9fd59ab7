import { type DockerRunOptions, type PullImageOption, parsePullPolicy } from '@girder-worker/docker';
import { BindMountVolume, volumesFromObject } from '@girder-worker/transforms';
import { isPyDict, type PyDict, PyObject, PyTuple, type PyValue } from '../jsonpickle/nodes.ts';
import { expected, keyPath } from './attributes.ts';
import { MappingError } from './errors.ts';
import type { ValueMapper } from './map-value.ts';

/** Engine API create options (what `dockerRun`'s `createOptions` takes). */
export type CreateOptions = NonNullable<DockerRunOptions['createOptions']>;
/** Engine API host config. */
export type HostConfig = NonNullable<CreateOptions['HostConfig']>;

/** What the keyword arguments of one docker_run call become, before the run's own options. */
export interface MappedDockerRun {
  /** `image`. */
  image?: string;
  /** `pull_image`: a boolean, or a policy string (`'if-not-present'`, as slicer_cli_web sends). */
  pullImage?: PullImageOption;
  /** `entrypoint` (a string becomes one element). */
  entrypoint?: string[];
  /** `container_args`, transforms mapped, scalars as Python's `str()`. */
  containerArgs?: unknown[];
  /** `volumes` (and those of `GIRDER_WORKER_DOCKER_RUN_OPTIONS`), as volume instances. */
  volumes: BindMountVolume[];
  /** `environment`. */
  environment?: Record<string, unknown>;
  /** `working_dir`. */
  workingDir?: string;
  /** `user`. */
  user?: string;
  /** `remove_container`. */
  removeContainer?: boolean;
  /** `stream_connectors`. */
  streamConnectors?: unknown[];
  /** Engine API create options from docker-py keyword arguments (`HostConfig` always present). */
  createOptions: CreateOptions & { HostConfig: HostConfig };
  /** Keyword arguments accepted and ignored as girder_worker ignores them (`tty`, `detach`). */
  ignored: string[];
}

/** Maps one keyword argument into the run being built. */
export type KwargMapper = (value: PyValue, path: string, run: MappedDockerRun, mapper: ValueMapper) => void;

/** Python's `str()` of a scalar container argument (`True`, `None`, `1.5`). */
function pythonStr(value: unknown): unknown {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  if (typeof value === 'number') return String(value);
  return value;
}

function str(value: PyValue, path: string): string {
  return typeof value === 'string' ? value : expected(path, 'a string', value);
}

function bool(value: PyValue, path: string): boolean {
  return typeof value === 'boolean' ? value : expected(path, 'True or False', value);
}

function int(value: PyValue, path: string): number {
  return Number.isInteger(value) ? (value as number) : expected(path, 'an integer', value);
}

function list(value: PyValue, path: string): PyValue[] {
  if (value instanceof PyTuple) return value.items;
  return Array.isArray(value) ? value : expected(path, 'a list', value);
}

function strings(value: PyValue, path: string): string[] {
  return list(value, path).map((item, i) => str(item, keyPath(path, i)));
}

function dict(value: PyValue, path: string): Record<string, PyValue> {
  return isPyDict(value) ? value : expected(path, 'a dict', value);
}

function stringDict(value: PyValue, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(dict(value, path))) out[key] = str(item, keyPath(path, key));
  return out;
}

const BYTE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** docker-py's `parse_bytes`: an integer, or `'512m'`, `'1g'`, `'10kb'`… */
function parseBytes(value: PyValue, path: string): number {
  if (Number.isInteger(value) && (value as number) >= 0) return value as number;
  if (typeof value !== 'string') return expected(path, "a byte count or a size such as '1g'", value);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([bkmg])?b?\s*$/i.exec(value);
  if (!match) return expected(path, "a byte count or a size such as '1g'", value);
  const unit = BYTE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1;
  return Math.floor(Number(match[1]) * unit);
}

/** `volumes` as docker_run takes it: a docker-py dict, or a list of volumes / "host:container[:mode]". */
export function volumeList(
  value: PyValue,
  path: string,
  mapper: ValueMapper,
  shorthandMode: 'rw' | 'ro',
): BindMountVolume[] {
  if (isPyDict(value)) {
    const plain = mapper.map(value, path);
    try {
      return volumesFromObject(plain, path);
    } catch (error) {
      throw new MappingError(path, error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
  return list(value, path).map((item, i) => {
    const at = keyPath(path, i);
    if (typeof item === 'string') {
      const [host, container, mode = shorthandMode, ...rest] = item.split(':');
      if (!host || !container || rest.length > 0 || (mode !== 'rw' && mode !== 'ro')) {
        expected(at, '"host:container[:ro|rw]"', item);
      }
      try {
        return new BindMountVolume(host, container, mode);
      } catch (error) {
        throw new MappingError(at, error instanceof Error ? error.message : String(error), { cause: error });
      }
    }
    const volume = mapper.map(item, at);
    return volume instanceof BindMountVolume ? volume : expected(at, 'a volume', item);
  });
}

function environment(value: PyValue, path: string, mapper: ValueMapper): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (isPyDict(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (item === null)
        throw new MappingError(keyPath(path, key), 'a None value (pass-through variable) is not supported');
      out[key] = pythonStr(mapper.map(item, keyPath(path, key)));
    }
    return out;
  }
  list(value, path).forEach((item, i) => {
    const text = str(item, keyPath(path, i));
    const eq = text.indexOf('=');
    if (eq <= 0) expected(keyPath(path, i), '"NAME=value"', '(a string without "=")');
    out[text.slice(0, eq)] = text.slice(eq + 1);
  });
  return out;
}

/** docker-py's DeviceRequest keyword names, for a request given as a plain dict. */
const DEVICE_REQUEST_KWARGS: Record<string, string> = {
  driver: 'Driver',
  count: 'Count',
  device_ids: 'DeviceIDs',
  capabilities: 'Capabilities',
  options: 'Options',
};

/** The Engine API's DeviceRequest fields. */
const ENGINE_DEVICE_FIELDS = new Set(Object.values(DEVICE_REQUEST_KWARGS));

/**
 * A `docker.types.DeviceRequest` (pickled: the Engine API fields, a dict subclass) or a dict of
 * its keyword arguments (`driver`, `count`, `device_ids`, `capabilities`, `options`), as
 * docker-py takes either.
 */
function deviceRequest(value: PyValue, path: string): NonNullable<HostConfig['DeviceRequests']>[number] {
  const pickled = value instanceof PyObject && value.className === 'docker.types.containers.DeviceRequest';
  if (!pickled && !isPyDict(value)) expected(path, 'a docker.types.DeviceRequest or a dict', value);
  const source: Record<string, PyValue> = {};
  for (const [key, item] of Object.entries(pickled ? (value as PyObject).attributes : (value as PyDict))) {
    if (key === '__dict__' && pickled) continue;
    const field = pickled || ENGINE_DEVICE_FIELDS.has(key) ? key : DEVICE_REQUEST_KWARGS[key];
    if (!field || !ENGINE_DEVICE_FIELDS.has(field)) {
      throw new MappingError(keyPath(path, key), `unknown DeviceRequest field '${key}'`);
    }
    if (item !== null) source[field] = item;
  }
  const at = (field: string): string => keyPath(path, field);
  const request: NonNullable<HostConfig['DeviceRequests']>[number] = {};
  if (source.Driver !== undefined) request.Driver = str(source.Driver, at('Driver'));
  if (source.Count !== undefined) request.Count = int(source.Count, at('Count'));
  if (source.DeviceIDs !== undefined) request.DeviceIDs = strings(source.DeviceIDs, at('DeviceIDs'));
  if (source.Capabilities !== undefined) {
    request.Capabilities = list(source.Capabilities, at('Capabilities')).map((c, i) =>
      strings(c, keyPath(at('Capabilities'), i)),
    );
  }
  if (source.Options !== undefined) request.Options = stringDict(source.Options, at('Options'));
  return request;
}

function host<K extends keyof HostConfig>(
  key: K,
  convert: (value: PyValue, path: string) => HostConfig[K],
): KwargMapper {
  return (value, path, run) => {
    run.createOptions.HostConfig[key] = convert(value, path);
  };
}

function top<K extends keyof CreateOptions>(
  key: K,
  convert: (value: PyValue, path: string) => CreateOptions[K],
): KwargMapper {
  return (value, path, run) => {
    (run.createOptions as CreateOptions)[key] = convert(value, path);
  };
}

/**
 * The one table of docker_run keyword arguments (girder_worker's own, then docker-py's
 * `containers.run` ones it forwards) and where each lands: a `dockerRun` option or an Engine API
 * create option. A keyword missing here fails the task with an {@link UnknownKwargError}.
 */
export const DOCKER_KWARGS: ReadonlyMap<string, KwargMapper> = new Map<string, KwargMapper>([
  [
    'image',
    (v, p, run) => {
      run.image = str(v, p);
    },
  ],
  [
    'pull_image',
    (v, p, run) => {
      run.pullImage = typeof v === 'string' ? parsePullPolicy(v, p) : bool(v, p);
    },
  ],
  [
    'entrypoint',
    (v, p, run) => {
      if (v !== null) run.entrypoint = typeof v === 'string' ? [v] : strings(v, p);
    },
  ],
  [
    'container_args',
    (v, p, run, mapper) => {
      run.containerArgs =
        v === null ? [] : list(v, p).map((item, i) => pythonStr(mapper.map(item, keyPath(p, i))));
    },
  ],
  [
    'volumes',
    (v, p, run, mapper) => {
      if (v !== null) run.volumes.push(...volumeList(v, p, mapper, 'rw'));
    },
  ],
  [
    'remove_container',
    (v, p, run) => {
      run.removeContainer = bool(v, p);
    },
  ],
  [
    'stream_connectors',
    (v, p, run, mapper) => {
      run.streamConnectors = v === null ? [] : list(v, p).map((item, i) => mapper.map(item, keyPath(p, i)));
    },
  ],
  [
    'environment',
    (v, p, run, mapper) => {
      if (v !== null) run.environment = environment(v, p, mapper);
    },
  ],
  [
    'working_dir',
    (v, p, run) => {
      if (v !== null) run.workingDir = str(v, p);
    },
  ],
  [
    'user',
    (v, p, run) => {
      if (v !== null) run.user = typeof v === 'number' ? String(v) : str(v, p);
    },
  ],
  [
    'tty',
    (_v, _p, run) => {
      run.ignored.push('tty');
    },
  ],
  [
    'detach',
    (_v, _p, run) => {
      run.ignored.push('detach');
    },
  ],
  ['name', top('name', str)],
  ['hostname', top('Hostname', str)],
  ['domainname', top('Domainname', str)],
  ['stop_signal', top('StopSignal', str)],
  [
    'labels',
    top('Labels', (v, p) =>
      Array.isArray(v) ? Object.fromEntries(strings(v, p).map((l) => [l, ''])) : stringDict(v, p),
    ),
  ],
  ['network_disabled', top('NetworkDisabled', bool)],
  ['mac_address', top('MacAddress', str)],
  ['stop_timeout', top('StopTimeout', int)],
  ['network_mode', host('NetworkMode', str)],
  [
    'network',
    (v, p, run) => {
      const network = str(v, p);
      run.createOptions.HostConfig.NetworkMode = network;
      run.createOptions.NetworkingConfig = { EndpointsConfig: { [network]: {} } };
    },
  ],
  ['shm_size', host('ShmSize', parseBytes)],
  ['mem_limit', host('Memory', parseBytes)],
  ['memswap_limit', host('MemorySwap', (v, p) => (v === -1 ? -1 : parseBytes(v, p)))],
  ['mem_reservation', host('MemoryReservation', parseBytes)],
  ['nano_cpus', host('NanoCpus', int)],
  ['cpu_shares', host('CpuShares', int)],
  ['cpu_period', host('CpuPeriod', int)],
  ['cpu_quota', host('CpuQuota', int)],
  ['cpuset_cpus', host('CpusetCpus', str)],
  ['cpuset_mems', host('CpusetMems', str)],
  ['pids_limit', host('PidsLimit', int)],
  ['cpu_rt_period', host('CpuRealtimePeriod', int)],
  ['cpu_rt_runtime', host('CpuRealtimeRuntime', int)],
  ['mem_swappiness', host('MemorySwappiness', int)],
  ['oom_score_adj', host('OomScoreAdj', int)],
  ['blkio_weight', host('BlkioWeight', int)],
  ['storage_opt', host('StorageOpt', stringDict)],
  ['volume_driver', host('VolumeDriver', str)],
  ['device_cgroup_rules', host('DeviceCgroupRules', strings)],
  ['runtime', host('Runtime', str)],
  [
    'device_requests',
    host('DeviceRequests', (v, p) => list(v, p).map((d, i) => deviceRequest(d, keyPath(p, i)))),
  ],
  [
    'devices',
    host('Devices', (v, p) =>
      strings(v, p).map((spec, i) => {
        const [PathOnHost, PathInContainer = PathOnHost, CgroupPermissions = 'rwm', ...rest] =
          spec.split(':');
        if (!PathOnHost || rest.length > 0) expected(keyPath(p, i), '"host[:container[:permissions]]"', spec);
        return { PathOnHost, PathInContainer, CgroupPermissions };
      }),
    ),
  ],
  ['privileged', host('Privileged', bool)],
  ['read_only', host('ReadonlyRootfs', bool)],
  ['init', host('Init', bool)],
  ['oom_kill_disable', host('OomKillDisable', bool)],
  ['auto_remove', host('AutoRemove', bool)],
  ['cap_add', host('CapAdd', strings)],
  ['cap_drop', host('CapDrop', strings)],
  ['security_opt', host('SecurityOpt', strings)],
  [
    'group_add',
    host('GroupAdd', (v, p) =>
      list(v, p).map((g, i) => (typeof g === 'number' ? String(g) : str(g, keyPath(p, i)))),
    ),
  ],
  ['dns', host('Dns', strings)],
  ['dns_search', host('DnsSearch', strings)],
  ['dns_opt', host('DnsOptions', strings)],
  [
    'extra_hosts',
    host('ExtraHosts', (v, p) =>
      Array.isArray(v) ? strings(v, p) : Object.entries(stringDict(v, p)).map(([h, ip]) => `${h}:${ip}`),
    ),
  ],
  ['ipc_mode', host('IpcMode', str)],
  ['pid_mode', host('PidMode', str)],
  ['userns_mode', host('UsernsMode', str)],
  ['uts_mode', host('UTSMode', str)],
  ['cgroup_parent', host('CgroupParent', str)],
  ['sysctls', host('Sysctls', stringDict)],
  [
    'tmpfs',
    host('Tmpfs', (v, p) =>
      Array.isArray(v)
        ? Object.fromEntries(
            strings(v, p).map((t) => {
              const colon = t.indexOf(':');
              return colon < 0 ? [t, ''] : [t.slice(0, colon), t.slice(colon + 1)];
            }),
          )
        : stringDict(v, p),
    ),
  ],
  [
    'ulimits',
    host('Ulimits', (v, p) =>
      list(v, p).map((u, i) => {
        const at = keyPath(p, i);
        const d =
          u instanceof PyObject && u.className === 'docker.types.containers.Ulimit'
            ? u.attributes
            : dict(u, at);
        const name = d.Name ?? d.name;
        const soft = d.Soft ?? d.soft;
        const hard = d.Hard ?? d.hard;
        return {
          Name: str(name ?? null, keyPath(at, 'name')),
          Soft: int(soft ?? null, keyPath(at, 'soft')),
          Hard: int(hard ?? soft ?? null, keyPath(at, 'hard')),
        };
      }),
    ),
  ],
  [
    'log_config',
    host('LogConfig', (v, p) => {
      const d = dict(v, p);
      const type = d.type ?? d.Type;
      const config = d.config ?? d.Config;
      return {
        Type: str(type ?? null, keyPath(p, 'type')),
        Config: config === undefined || config === null ? {} : stringDict(config, keyPath(p, 'config')),
      };
    }),
  ],
]);

/** A new, empty mapping result. */
export function emptyMappedRun(): MappedDockerRun {
  return { volumes: [], createOptions: { HostConfig: {} }, ignored: [] };
}
