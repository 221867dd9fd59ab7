import { BindMountVolume, isPlainObject } from '@girder-worker/transforms';
import { fail } from './checks.ts';
import { checkCreateOptions } from './create-options.ts';
import type { RunDefaults } from './options.ts';

const VARIABLE = 'GIRDER_WORKER_DOCKER_RUN_OPTIONS';

/**
 * Parses the `host:container[:mode]` volume shorthand of GIRDER_WORKER_DOCKER_RUN_OPTIONS.
 * @throws `SpecValidationError` naming `path`
 */
function parseVolumeShorthand(spec: string, path: string): BindMountVolume {
  const [host, container, mode = 'rw', ...rest] = spec.split(':');
  if (!host || !container || rest.length > 0 || (mode !== 'rw' && mode !== 'ro')) {
    fail(path, '"host:container[:ro|rw]" with absolute paths', spec);
  }
  return new BindMountVolume(host, container, mode);
}

/**
 * Deployment defaults from environment variables, as girder_worker reads them:
 * `GIRDER_WORKER_DOCKER_RUN_OPTIONS` is JSON of create options, where `volumes` may list
 * `host:container[:mode]` strings. The library never reads the environment itself: pass the
 * result as dockerRun's `defaults`.
 *
 * @param env - the variables, e.g. `process.env`
 * @returns the defaults (empty when the variable is unset)
 * @throws `SpecValidationError` naming the variable (and the field inside it)
 * @example
 * ```ts
 * await dockerRun({ image, defaults: environmentDefaults(process.env) });
 * ```
 */
export function environmentDefaults(
  env: Readonly<Record<string, string | undefined>>,
): Required<RunDefaults> {
  const raw = env[VARIABLE];
  if (!raw) return { createOptions: {}, volumes: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail(VARIABLE, 'JSON', raw);
  }
  if (!isPlainObject(parsed)) fail(VARIABLE, 'a JSON object', parsed);
  const { volumes, ...createOptions } = parsed;
  const list =
    volumes === undefined
      ? []
      : Array.isArray(volumes)
        ? volumes
        : fail(`${VARIABLE}.volumes`, 'an array', volumes);
  return {
    createOptions: checkCreateOptions(createOptions, VARIABLE),
    volumes: list.map((v, i) =>
      typeof v === 'string'
        ? parseVolumeShorthand(v, `${VARIABLE}.volumes[${i}]`)
        : fail(`${VARIABLE}.volumes[${i}]`, 'a "host:container[:mode]" string', v),
    ),
  };
}
