import { decodeJsonPickle } from '../jsonpickle/decode.ts';
import { isPyDict, type PyDict, type PyValue } from '../jsonpickle/nodes.ts';
import { expected, keyPath } from './attributes.ts';
import { DOCKER_KWARGS, emptyMappedRun, type MappedDockerRun, volumeList } from './docker-kwargs.ts';
import { MappingError, UnknownKwargError } from './errors.ts';
import { ValueMapper, type ValueMapperOptions } from './map-value.ts';

/** docker_run's positional parameters, in order (girder_worker's signature). */
const DOCKER_RUN_POSITIONAL: readonly string[] = [
  'image',
  'pull_image',
  'entrypoint',
  'container_args',
  'volumes',
  'remove_container',
];

/** girder_worker's own docker_run parameters, which GIRDER_WORKER_DOCKER_RUN_OPTIONS cannot set. */
const TASK_ONLY = new Set(['image', 'pull_image', 'container_args', 'remove_container', 'stream_connectors']);

/** Name of the environment variable girder_worker reads docker-py defaults from. */
const DOCKER_RUN_OPTIONS_VARIABLE = 'GIRDER_WORKER_DOCKER_RUN_OPTIONS';

/** Options of {@link mapDockerRun}. */
export interface MapDockerRunOptions extends ValueMapperOptions {
  /**
   * The value of `GIRDER_WORKER_DOCKER_RUN_OPTIONS` (docker-py keyword arguments as JSON, `volumes`
   * as "host:container[:mode]" strings, read-only by default), passed explicitly: the library never
   * reads `process.env`. The message's own keyword arguments win; volumes are added.
   */
  dockerRunOptionsJson?: string | undefined;
}

/** What one docker_run call maps to. */
export interface MappedDockerRunTask extends MappedDockerRun {
  /** The result hooks, mapped from `girder_result_hooks` (in order). */
  resultHooks: unknown[];
}

function applyEnvironmentDefaults(json: string, run: MappedDockerRun, mapper: ValueMapper): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new MappingError(DOCKER_RUN_OPTIONS_VARIABLE, 'expected JSON of docker-py keyword arguments', {
      cause: error,
    });
  }
  const value = decodeJsonPickle(parsed, DOCKER_RUN_OPTIONS_VARIABLE);
  if (!isPyDict(value)) expected(DOCKER_RUN_OPTIONS_VARIABLE, 'a JSON object', value);
  for (const [key, item] of Object.entries(value)) {
    const path = keyPath(DOCKER_RUN_OPTIONS_VARIABLE, key);
    if (key === 'volumes') {
      if (item === null) continue;
      // girder_worker reads "host:container" volumes from the variable as read-only by default.
      run.volumes.push(...volumeList(item, path, mapper, 'ro'));
      continue;
    }
    if (TASK_ONLY.has(key))
      throw new MappingError(path, `'${key}' is a docker_run parameter, not a docker-py default`);
    const map = DOCKER_KWARGS.get(key);
    if (!map) throw new UnknownKwargError(key, path);
    map(item, path, run, mapper);
  }
}

/**
 * Maps a decoded docker_run call (positional args, keyword args, result hooks) to `dockerRun`
 * options and Engine API create options, through {@link DOCKER_KWARGS} and the class table.
 * @param call - `args` and `kwargs` from the body, `hooks` from `girder_result_hooks`
 * @param options - Girder clients, host streams, `GIRDER_WORKER_DOCKER_RUN_OPTIONS`
 * @returns the mapped run
 * @throws {@link UnknownKwargError}, {@link UnknownClassError}, {@link MappingError}
 */
export function mapDockerRun(
  call: { args: readonly PyValue[]; kwargs: PyDict; hooks: readonly PyValue[] },
  options: MapDockerRunOptions,
): MappedDockerRunTask {
  const mapper = new ValueMapper(options);
  const run = emptyMappedRun();
  if (options.dockerRunOptionsJson) applyEnvironmentDefaults(options.dockerRunOptionsJson, run, mapper);
  if (call.args.length > DOCKER_RUN_POSITIONAL.length) {
    throw new MappingError(
      'args',
      `docker_run takes at most ${DOCKER_RUN_POSITIONAL.length} positional arguments, got ${call.args.length}`,
    );
  }
  const named: [string, PyValue, string][] = call.args.map((value, i) => [
    DOCKER_RUN_POSITIONAL[i] as string,
    value,
    `args[${i}]`,
  ]);
  for (const [key, value] of Object.entries(call.kwargs)) {
    if (named.some(([name]) => name === key)) {
      throw new MappingError(keyPath('kwargs', key), `docker_run got multiple values for '${key}'`);
    }
    named.push([key, value, keyPath('kwargs', key)]);
  }
  for (const [key, value, path] of named) {
    const map = DOCKER_KWARGS.get(key);
    if (!map) throw new UnknownKwargError(key, path);
    map(value, path, run, mapper);
  }
  const resultHooks = call.hooks.map((hook, i) => mapper.map(hook, `headers.girder_result_hooks[${i}]`));
  return { ...run, resultHooks };
}
