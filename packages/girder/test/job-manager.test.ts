import { dockerRun } from '@girder-worker/docker';
import { GirderClient } from '@girder-worker/girder-client';
import { ProgressPipe } from '@girder-worker/pipes';
import { LOCAL_IMAGE } from '@girder-worker/test-helpers';
import { VolumePath } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import { GirderUploadVolumePathJobArtifact, JobManager, JobStatus } from '../src/index.ts';
import { MiB, useGirder } from './support.ts';

const girder = useGirder({ chunkBytes: 8 * MiB, retry: { limit: 3, backoffLimitMs: 20 } });

describe('JobManager', () => {
  function jobClient(token: string): GirderClient {
    return new GirderClient({ apiUrl: girder.server.apiUrl, token });
  }

  it('reports RUNNING then SUCCESS, log lines, and progress from a ProgressPipe', async () => {
    const { server, services } = girder;
    const { job, token } = server.createJob({ title: 'progress' });
    const manager = new JobManager({
      client: jobClient(token),
      jobId: job._id,
      logIntervalMs: 50,
      progressIntervalMs: 50,
    });
    const progress = new ProgressPipe();
    await manager.run((signal, reporter) =>
      dockerRun({
        ...LOCAL_IMAGE,
        services,
        signal,
        reporter,
        containerArgs: [
          'sh',
          '-c',
          'for i in 1 2 3 4; do echo "{\\"total\\": 4, \\"current\\": $i, \\"message\\": \\"step $i\\"}" > "$0"; echo "did $i"; done',
          progress,
        ],
      }),
    );
    const done = server.getJob(job._id);
    // The job was QUEUED when it was scheduled; the run adds RUNNING and SUCCESS.
    expect(done.timestamps.map((t) => t.status)).toEqual([
      JobStatus.QUEUED,
      JobStatus.RUNNING,
      JobStatus.SUCCESS,
    ]);
    expect(done.log.join('')).toBe('did 1\ndid 2\ndid 3\ndid 4\n');
    expect(done.progress).toMatchObject({ total: 4, current: 4, message: 'step 4' });
  });

  it('reports ERROR with the stderr tail in the log, and uploads an artifact on exception', async () => {
    const { server, services } = girder;
    const { job, token } = server.createJob({ title: 'failing' });
    const manager = new JobManager({ client: jobClient(token), jobId: job._id, logIntervalMs: 50 });
    const logFile = new VolumePath('debug.log');
    const error = await manager
      .run((signal, reporter) =>
        dockerRun({
          ...LOCAL_IMAGE,
          services: services.with({ girderJob: { jobId: job._id } }),
          signal,
          reporter,
          containerArgs: ['sh', '-c', 'echo "debug info" > "$0"; echo "it broke" >&2; exit 2', logFile],
          resultHooks: [new GirderUploadVolumePathJobArtifact(logFile, { uploadOnException: true })],
        }),
      )
      .catch((e: unknown) => e);
    expect((error as { exitCode: number }).exitCode).toBe(2);
    const done = server.getJob(job._id);
    expect(done.timestamps.map((t) => t.status)).toEqual([
      JobStatus.QUEUED,
      JobStatus.RUNNING,
      JobStatus.ERROR,
    ]);
    expect(done.log.join('')).toContain('it broke');
    expect(done.log.join('')).toContain('exited with code 2');
    const [artifact] = server.listJobArtifacts(job._id);
    expect((await server.getFileBytes(artifact?._id as string)).toString()).toBe('debug info\n');
  });

  it('ends CANCELED when the job is cancelled in Girder while it runs', async () => {
    const { server, client } = girder;
    const { job, token } = server.createJob({ title: 'cancel me' });
    const manager = new JobManager({ client: jobClient(token), jobId: job._id, pollIntervalMs: 100 });
    const run = manager.run((signal, reporter) =>
      dockerRun({
        ...LOCAL_IMAGE,
        signal,
        reporter,
        stopGraceMs: 500,
        containerArgs: ['sleep', '60'],
        onEvent: (event) => {
          if (event.type === 'started') void client.put(`job/${job._id}/cancel`);
        },
      }),
    );
    await expect(run).rejects.toThrow(/was cancelled/);
    const statuses = server.getJob(job._id).timestamps.map((t) => t.status);
    expect(statuses.slice(0, 2)).toEqual([JobStatus.QUEUED, JobStatus.RUNNING]);
    expect(statuses.at(-1)).toBe(JobStatus.CANCELED);
  });
});
