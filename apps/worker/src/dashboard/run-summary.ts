import type { RunJobData } from '../queue-common.ts';

/** What the dashboard shows of a queued run's data: the spec's shape, never its secrets. */
export interface RunSummary {
  /** The image the run starts. */
  image: string | undefined;
  /** How many transforms of each kind the spec holds (`{ NamedInputPipe: 1, VolumePath: 2 }`). */
  transforms: Record<string, number>;
  /** The container arguments, with each transform shown as `<Kind>`. */
  containerArgs: unknown[];
  /** The Girder API root and job id the run reports to, when it has one (no token). */
  girder?: { apiUrl?: string; jobId?: string };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Counts `{"$transform": Kind}` objects anywhere in a spec (references `$ref` are not new ones). */
function countTransforms(value: unknown, counts: Record<string, number>, depth = 0): void {
  if (depth > 64) return;
  if (Array.isArray(value)) {
    for (const item of value) countTransforms(item, counts, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.$transform === 'string') counts[value.$transform] = (counts[value.$transform] ?? 0) + 1;
  for (const [key, item] of Object.entries(value))
    if (key !== '$transform') countTransforms(item, counts, depth + 1);
}

/** A container argument as the dashboard shows it: plain values as they are, transforms by kind. */
function showArgument(value: unknown): unknown {
  if (isObject(value)) {
    if (typeof value.$transform === 'string') return `<${value.$transform}>`;
    if (typeof value.$ref === 'string' || typeof value.$ref === 'number') return '<ref>';
    return '<object>';
  }
  return Array.isArray(value) ? '<array>' : value;
}

/**
 * Summarises a run's job data for display: image, transforms by kind, arguments and the Girder job
 * it reports to. Tokens (`girderToken`, `girderJob.token`), environment values and volume paths are
 * left out, so nothing secret reaches the page.
 *
 * @param data - the BullMQ job data of a run (anything: malformed data is shown as such)
 * @returns the summary
 */
export function summarizeRunData(data: unknown): RunSummary {
  const run = (isObject(data) ? data : {}) as Partial<RunJobData>;
  const spec = isObject(run.spec) ? run.spec : {};
  const transforms: Record<string, number> = {};
  countTransforms(spec, transforms);
  const args = Array.isArray(spec.containerArgs) ? spec.containerArgs.map(showArgument) : [];
  const summary: RunSummary = {
    image: typeof spec.image === 'string' ? spec.image : undefined,
    transforms,
    containerArgs: args,
  };
  const job = isObject(run.girderJob) ? run.girderJob : isObject(spec.girder) ? spec.girder : undefined;
  if (job) {
    summary.girder = {
      ...(typeof job.apiUrl === 'string' ? { apiUrl: job.apiUrl } : {}),
      ...(typeof job.jobId === 'string' ? { jobId: job.jobId } : {}),
    };
  }
  return summary;
}

/**
 * The name a run gets in the dashboard's list: its image, and the worker that ran it when known.
 *
 * @param job - BullMQ's JSON form of the job (`data`, `returnvalue`, `processedBy`)
 * @returns e.g. `girder-worker-test/busybox:latest on host-1234`
 */
export function runDisplayName(job: unknown): string {
  const j = isObject(job) ? job : {};
  const image = summarizeRunData(j.data).image ?? 'run';
  const result = isObject(j.returnvalue) ? j.returnvalue : undefined;
  const worker =
    typeof result?.worker === 'string'
      ? result.worker
      : typeof j.processedBy === 'string'
        ? j.processedBy
        : '';
  return worker ? `${image} on ${worker}` : image;
}
