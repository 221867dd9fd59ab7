import { JobStatus } from '@girder-worker/girder';
import { type GirderTestServer, startGirderTestServer } from '@girder-worker/girder-test-server';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isJobUpdateError, type JobInfoSpec } from '../src/index.ts';
import { JobInfoReporter } from '../src/run/job-reporter.ts';

let girder: GirderTestServer;

beforeEach(async () => {
  girder = await startGirderTestServer();
});

afterEach(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});

function newReporter(flushIntervalMs = 60_000): { reporter: JobInfoReporter; id: string; token: string } {
  const { job, token } = girder.createJob();
  return {
    reporter: new JobInfoReporter({ spec: job.jobInfoSpec as JobInfoSpec, flushIntervalMs }),
    id: job._id,
    token,
  };
}

function updates(id: string) {
  return girder.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/job/${id}`));
}

describe('JobInfoReporter', () => {
  it('appends log text byte for byte and sends it with progress in one form-encoded update', async () => {
    const { reporter, id } = newReporter();
    reporter.write('a');
    reporter.write('b\nc');
    reporter.progress({ total: 4 });
    reporter.progress({ current: 1, message: 'one' });
    await reporter.close();
    const job = girder.getJob(id);
    expect(job.log).toEqual(['ab\nc']);
    expect(job.progress).toEqual({ total: 4, current: 1, message: 'one' });
    expect(updates(id)).toHaveLength(1);
  });

  it('turns SUCCESS into CANCELED when Girder refuses it because the job is CANCELING', async () => {
    const { reporter, id } = newReporter();
    expect(await reporter.setStatus(JobStatus.RUNNING)).toBe(JobStatus.RUNNING);
    const cancel = await fetch(`${girder.apiUrl}/job/${id}/cancel`, {
      method: 'PUT',
      headers: { 'Girder-Token': girder.admin.token },
    });
    expect(cancel.status).toBe(200);
    expect(await reporter.setStatus(JobStatus.SUCCESS)).toBe(JobStatus.CANCELED);
    expect(girder.getJob(id).status).toBe(JobStatus.CANCELED);
    await reporter.close();
  });

  it('reports a refused update with its status and field, never the token', async () => {
    const { reporter, token } = newReporter();
    let error: unknown;
    try {
      await reporter.setStatus(JobStatus.SUCCESS); // QUEUED → SUCCESS is not a valid transition
    } catch (e) {
      error = e;
    }
    expect(isJobUpdateError(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, field: 'status' });
    expect(JSON.stringify({ message: String(error), ...(error as object) })).not.toContain(token);
    await reporter.close();
  });

  it('aborts its watch signal when the job turns CANCELING', async () => {
    const { reporter, id } = newReporter();
    await reporter.setStatus(JobStatus.RUNNING);
    const signal = reporter.watchCancel(20);
    await fetch(`${girder.apiUrl}/job/${id}/cancel`, {
      method: 'PUT',
      headers: { 'Girder-Token': girder.admin.token },
    });
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect(signal.reason).toMatchObject({ name: 'JobCancelledError', jobId: id });
    await reporter.close();
  });
});
