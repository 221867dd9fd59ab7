import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import { GirderClient, isGirderHttpError } from '../src/index.ts';
import { adminClient, useGirder } from './support.ts';

const girder = useGirder();

describe('jobs', () => {
  it('updates status, log and progress with a job-scoped token (form-encoded PUT)', async () => {
    const { job, token } = girder.server.createJob({ title: 'scoped' });
    const client = new GirderClient({ apiUrl: girder.server.apiUrl, token });
    await client.updateJob(job._id, { status: 2, log: 'first line\n' });
    await client.updateJob(job._id, {
      log: 'second\n',
      progressTotal: 10,
      progressCurrent: 4,
      progressMessage: 'working',
    });
    const after = await client.getJob(job._id);
    expect(after.status).toBe(2);
    expect(after.log).toEqual(['first line\n', 'second\n']);
    expect(after.progress).toMatchObject({ total: 10, current: 4, message: 'working' });
    const answer = await client.updateJob(job._id, {
      log: 'only\n',
      overwrite: true,
      status: 3,
      notify: false,
    });
    expect(answer).toMatchObject({ _modelType: 'job', status: 3 });
    expect((await client.getJob(job._id)).log).toEqual(['only\n']);
    expect(girder.server.getJob(job._id).status).toBe(3);
  });

  it('reports an invalid status transition as a 400 with field "status"', async () => {
    const { job, token } = girder.server.createJob({ title: 't' });
    const client = new GirderClient({ apiUrl: girder.server.apiUrl, token });
    const error = await client.updateJob(job._id, { status: 3 }).catch((e: unknown) => e);
    expect(isGirderHttpError(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, field: 'status' });
  });

  it('attaches artifacts from a Buffer and from a path', async () => {
    const { job } = girder.server.createJob({ title: 'artifacts' });
    const client = adminClient(girder.server);
    await client.addJobArtifact(job._id, {
      name: 'notes.txt',
      source: Buffer.from('artifact body'),
      mimeType: 'text/plain',
    });
    const artifacts = girder.server.listJobArtifacts(job._id);
    expect(artifacts.map((a) => [a.name, a.size])).toEqual([['notes.txt', 13]]);
    expect((await girder.server.getFileBytes(artifacts[0]?._id as string)).toString()).toBe('artifact body');
    const dir = await makeTempDir();
    await writeFile(join(dir, 'out.log'), 'line\n'.repeat(1000));
    await client.addJobArtifact(job._id, { name: 'out.log', source: join(dir, 'out.log') });
    const [, log] = girder.server.listJobArtifacts(job._id);
    expect(log).toMatchObject({ name: 'out.log', size: 5000 });
  });
});
