import type { GirderClient } from '@girder-worker/girder-client';
import type { TransformContext } from '@girder-worker/transforms';

declare module '@girder-worker/transforms' {
  interface ServiceMap {
    /** The Girder client of the run (built from the run's API URL and token; never serialized). */
    girder: GirderClient;
    /** The Girder job the run reports to, when it has one. */
    girderJob: { jobId: string };
  }
}

/** The run's Girder client (`ctx.services.get('girder')`). @throws MissingServiceError when absent */
export function girderClientOf(ctx: TransformContext): GirderClient {
  return ctx.services.get('girder');
}

/** The id of the Girder job the run reports to, if any. */
export function girderJobIdOf(ctx: TransformContext): string | undefined {
  return ctx.services.has('girderJob') ? ctx.services.get('girderJob').jobId : undefined;
}
