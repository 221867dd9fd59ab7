import { isPlainObject } from '@girder-worker/transforms';
import type Docker from 'dockerode';
import { fail } from './checks.ts';
import { mergeCreateOptions } from './create-options.ts';
import { OPTION_TABLE, type OptionTable, RUN_SPEC_FIELDS, type RunSpecField } from './option-table.ts';
import type { DockerRunOptions, NormalizedDockerRunOptions } from './options.ts';
import { checkNoDoubleResources } from './resources.ts';

/** The options a run spec carries, typed. */
export type RunSpecOptions = Pick<DockerRunOptions, RunSpecField>;

function refuseUnknown(options: Record<string, unknown>, known: readonly string[], what: string): void {
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0 && unknown[0] !== undefined)
    fail(unknown[0], `a known ${what} (${known.join(', ')})`, unknown.join(', '));
}

function checkRows(
  options: Record<string, unknown>,
  keys: readonly (keyof OptionTable)[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const row = OPTION_TABLE[key] as OptionTable[keyof OptionTable];
    const value = options[key];
    out[key] = value === undefined && !row.required ? row.fallback : row.check(value, key);
  }
  return out;
}

/**
 * Validates every option against the option table and applies its defaults, then puts the
 * deployment's `defaults` beneath the run's own create options and volumes. Unknown keys are
 * refused, naming them.
 * @throws `SpecValidationError` naming the option, what was expected and what came
 */
export function normalizeOptions(options: DockerRunOptions): NormalizedDockerRunOptions {
  if (!isPlainObject(options)) fail('', 'an options object', options);
  const keys = Object.keys(OPTION_TABLE) as (keyof OptionTable)[];
  refuseUnknown(options, keys, 'option of dockerRun');
  const o = checkRows(options, keys) as unknown as NormalizedDockerRunOptions;
  checkNoDoubleResources(o.resources, o.createOptions);
  return {
    ...o,
    createOptions: mergeCreateOptions(
      o.defaults.createOptions ?? ({} as Docker.ContainerCreateOptions),
      o.createOptions,
    ),
    volumes: [...(o.defaults.volumes ?? []), ...o.volumes],
  };
}

/**
 * Validates the options of a run spec (after its transforms are revived) with the same checks
 * dockerRun makes, so a spec is refused where it is written or submitted, not on a worker.
 * Only {@link RUN_SPEC_FIELDS} are allowed.
 *
 * @param options - the spec's options (e.g. `revive(json, registry)` without its `girder`)
 * @returns them, typed
 * @throws `SpecValidationError` naming the field
 */
export function validateRunSpec(options: unknown): RunSpecOptions {
  if (!isPlainObject(options)) fail('', 'a run spec object', options);
  refuseUnknown(options, RUN_SPEC_FIELDS, 'field');
  const o = checkRows(options, RUN_SPEC_FIELDS) as unknown as NormalizedDockerRunOptions;
  checkNoDoubleResources(o.resources, o.createOptions);
  return options as unknown as RunSpecOptions;
}
