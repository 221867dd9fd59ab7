import { randomBytes } from 'node:crypto';
import { assertNoLeaks } from '@girder-worker/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GirderTestServer, JobStatus, startGirderTestServer } from '../src/index.ts';
import { pythonFloatText } from '../src/py-float.ts';
import { api, form, jsonOf } from './helpers.ts';

let girder: GirderTestServer;
beforeAll(async () => {
  girder = await startGirderTestServer();
});
afterAll(async () => {
  await girder.close();
  await assertNoLeaks({ containers: false });
});

type Job = Record<string, unknown> & {
  status: number;
  timestamps: { status: number; time: string }[];
  log?: string[];
};

const put = (id: string, token: string, fields: Record<string, string | number | boolean>) =>
  api(girder, `/job/${id}`, { method: 'PUT', token, ...form(fields) });

describe('PUT /job/{id}', () => {
  it('moves a worker job through the worker statuses and appends a timestamp per change', async () => {
    const { job, token } = girder.createJob();
    expect(job.status).toBe(JobStatus.QUEUED);
    expect(job.jobInfoSpec).toEqual({
      method: 'PUT',
      url: `${girder.apiUrl}/job/${job._id}`,
      reference: job._id,
      headers: { 'Girder-Token': token },
      logPrint: true,
    });
    for (const status of [
      JobStatus.RUNNING,
      JobStatus.FETCHING_INPUT,
      JobStatus.RUNNING,
      JobStatus.PUSHING_OUTPUT,
      JobStatus.SUCCESS,
    ]) {
      const { status: code, body } = await jsonOf<Job>(await put(job._id, token, { status }));
      expect(code).toBe(200);
      expect(body.status).toBe(status);
    }
    const after = girder.getJob(job._id);
    expect(after.timestamps.map((t) => t.status)).toEqual([1, 2, 820, 2, 823, 3]);
    for (const t of after.timestamps) expect(t.time).toMatch(/\+00:00$/);
  });

  it('answers 400 with field status for an invalid transition and changes nothing', async () => {
    const { job, token } = girder.createJob();
    const { status, body } = await jsonOf(
      await put(job._id, token, { status: JobStatus.SUCCESS, log: 'should not land' }),
    );
    expect(status).toBe(400);
    expect(body).toEqual({
      message: "Invalid state transition to '3', Current state is '1'.",
      type: 'validation',
      field: 'status',
    });
    expect(girder.getJob(job._id)).toMatchObject({ status: 1, log: [] });
  });

  it('answers 400 with field status for an unknown status', async () => {
    const { job, token } = girder.createJob();
    const { body } = await jsonOf(await put(job._id, token, { status: 99 }));
    expect(body).toEqual({ message: 'Invalid job status 99.', type: 'validation', field: 'status' });
    const text = await jsonOf(await put(job._id, token, { status: 'done' }));
    expect(text.body).toEqual({ message: 'Invalid job status done.', type: 'validation', field: 'status' });
  });

  it('uses the core transitions for jobs of other handlers', async () => {
    const { job, token } = girder.createJob({ handler: null, status: JobStatus.INACTIVE });
    expect((await put(job._id, token, { status: JobStatus.RUNNING })).status).toBe(200);
    const bad = await jsonOf(await put(job._id, token, { status: JobStatus.CANCELING }));
    expect(bad.body).toEqual({
      message: "No valid state transition to '824'. Current state is '2'.",
      type: 'validation',
      field: 'status',
    });
  });

  it('appends log lines, overwrites with overwrite=true, and sets progress', async () => {
    const { job, token } = girder.createJob();
    await put(job._id, token, { log: 'one\n' });
    await put(job._id, token, { log: 'two\n', progressTotal: 10, progressCurrent: 3 });
    expect(girder.getJob(job._id)).toMatchObject({
      log: ['one\n', 'two\n'],
      progress: { total: 10, current: 3, message: null },
    });
    const { body } = await jsonOf<Job>(
      await put(job._id, token, { log: 'fresh', overwrite: true, progressMessage: 'half' }),
    );
    expect(body.log).toBeUndefined(); // PUT answers without the log, as Girder
    expect(body.progress).toEqual({ total: 10, current: 3, message: 'half' });
    const got = await jsonOf<Job>(await api(girder, `/job/${job._id}`, { token }));
    expect(got.body.log).toEqual(['fresh']);
  });

  it('refuses a job-scoped token on another job and on data routes, as Girder does (401, no user)', async () => {
    const a = girder.createJob();
    const b = girder.createJob();
    const { status, body } = await jsonOf(await put(b.job._id, a.token, { status: JobStatus.RUNNING }));
    expect(status).toBe(401);
    expect(body).toEqual({
      message: `Invalid token scope.\nRequired: jobs.job_${b.job._id}.\nAllowed: jobs.job_${a.job._id}`,
      type: 'access',
    });
    const data = await api(girder, `/folder/${girder.admin.privateFolderId}`, { token: a.token });
    expect(data.status).toBe(401);
    await data.body?.cancel();
    const none = await jsonOf(await put(b.job._id, '', { status: JobStatus.RUNNING }));
    expect(none.body).toEqual({
      message: 'You must be logged in or have a valid auth token.',
      type: 'access',
    });
  });

  it('answers 403 to a user without write access on the job and 200 to its owner', async () => {
    const erin = await girder.createUser({ login: 'erin', password: 'erinpassword' });
    const { job } = girder.createJob();
    const denied = await jsonOf(await put(job._id, erin.token, { log: 'x' }));
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      message: `Write access denied for job ${job._id} (user ${erin.user._id}).`,
      type: 'access',
    });
    const own = girder.createJob({ userId: erin.user._id });
    expect((await put(own.job._id, erin.token, { log: 'x' })).status).toBe(200);
  });
});

describe('GET /job/{id} and cancel', () => {
  it('gives the job with its log to the scoped token and to the owner, 401 to anonymous', async () => {
    const { job, token } = girder.createJob({ title: 'seen' });
    expect((await jsonOf(await api(girder, `/job/${job._id}`, { token }))).body).toMatchObject({
      title: 'seen',
      log: [],
    });
    expect(
      (await jsonOf(await api(girder, `/job/${job._id}`, { token: girder.admin.token }))).body,
    ).toMatchObject({
      _modelType: 'job',
      args: [],
      kwargs: {},
    });
    expect((await api(girder, `/job/${job._id}`)).status).toBe(401);
  });

  it('moves a running worker job to CANCELING and an inactive celery job to CANCELED', async () => {
    const running = girder.createJob({ status: JobStatus.RUNNING });
    const res = await jsonOf<Job>(
      await api(girder, `/job/${running.job._id}/cancel`, { method: 'PUT', token: girder.admin.token }),
    );
    expect(res.body.status).toBe(JobStatus.CANCELING);
    await put(running.job._id, running.token, { status: JobStatus.CANCELED });
    expect(girder.getJob(running.job._id).status).toBe(JobStatus.CANCELED);
    const inactive = girder.createJob({ status: JobStatus.INACTIVE, handler: 'celery_handler' });
    await api(girder, `/job/${inactive.job._id}/cancel`, { method: 'PUT', token: girder.admin.token });
    expect(girder.getJob(inactive.job._id).status).toBe(JobStatus.CANCELED);
  });

  it('fails to cancel an inactive worker_handler job, whose transitions have no INACTIVE → CANCELED (as Girder)', async () => {
    const { job } = girder.createJob({ status: JobStatus.INACTIVE });
    const { status, body } = await jsonOf(
      await api(girder, `/job/${job._id}/cancel`, { method: 'PUT', token: girder.admin.token }),
    );
    expect(status).toBe(400);
    expect(body).toEqual({
      message: "Invalid state transition to '5', Current state is '0'.",
      type: 'validation',
      field: 'status',
    });
  });

  it('requires a user to cancel (a job token is not enough)', async () => {
    const { job, token } = girder.createJob();
    const { status, body } = await jsonOf(
      await api(girder, `/job/${job._id}/cancel`, { method: 'PUT', token }),
    );
    expect(status).toBe(401);
    expect(body).toEqual({ message: 'You must be logged in.', type: 'access' });
  });
});

describe('POST /job/{id}/artifact', () => {
  it('stores the body as a file attached to the job, downloadable by its token', async () => {
    const { job, token } = girder.createJob();
    const bytes = randomBytes(300);
    const { status, body } = await jsonOf<{ _id: string; name: string; size: number; attachedToId: string }>(
      await api(girder, `/job/${job._id}/artifact?name=log.txt&size=300&mimeType=text/plain`, {
        method: 'POST',
        token,
        body: bytes,
      }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      _modelType: 'file',
      name: 'log.txt',
      size: 300,
      mimeType: 'text/plain',
      attachedToType: 'job',
      attachedToId: job._id,
      itemId: null,
    });
    expect(girder.listJobArtifacts(job._id).map((f) => f._id)).toEqual([body._id]);
    expect(await girder.getFileBytes(body._id)).toEqual(bytes);
    const dl = await api(girder, `/file/${body._id}/download`, { token });
    expect(Buffer.from(await dl.arrayBuffer())).toEqual(bytes);
  });

  it('rejects an artifact larger than its declared size, a missing name, and a token of another job', async () => {
    const { job, token } = girder.createJob();
    const tooMany = await jsonOf(
      await api(girder, `/job/${job._id}/artifact?name=a&size=2`, { method: 'POST', token, body: 'abc' }),
    );
    expect(tooMany.body).toEqual({ message: 'Received too many bytes.', type: 'validation' });
    const noName = await jsonOf(
      await api(girder, `/job/${job._id}/artifact?size=1`, { method: 'POST', token, body: 'a' }),
    );
    expect(noName.body).toEqual({ message: 'Parameter "name" is required.', type: 'rest' });
    const other = girder.createJob();
    const wrong = await api(girder, `/job/${job._id}/artifact?name=a&size=1`, {
      method: 'POST',
      token: other.token,
      body: 'a',
    });
    expect(wrong.status).toBe(401);
    await wrong.body?.cancel();
    expect(girder.listJobArtifacts(job._id)).toEqual([]);
    expect(girder.openUploads).toBe(0);
  });
});

describe('POST /job', () => {
  const post = (fields: Record<string, string | number | boolean>, token?: string) =>
    api(girder, '/job', { method: 'POST', token, ...form(fields) });

  it('creates an INACTIVE job owned by the token user when the token has jobs.rest.create_job', async () => {
    const scoped = girder.createToken({ userId: girder.admin.user._id, scope: ['jobs.rest.create_job'] });
    const { status, body } = await jsonOf<Job & Record<string, unknown>>(
      await post(
        {
          title: 'made over REST',
          type: 'demo',
          handler: 'worker_handler',
          kwargs: '{"x":1}',
          public: true,
          otherFields: '{"extra":"kept, not shown"}',
        },
        scoped,
      ),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      _modelType: 'job',
      title: 'made over REST',
      type: 'demo',
      handler: 'worker_handler',
      status: JobStatus.INACTIVE,
      timestamps: [],
      log: [],
      progress: null,
      public: true,
      parentId: null,
      kwargs: { x: 1 },
      args: [],
      _accessLevel: 2,
    });
    // Girder's job filter shows neither the owner nor otherFields; both are stored.
    expect(body).not.toHaveProperty('jobInfoSpec');
    expect(body).not.toHaveProperty('userId');
    expect(body).not.toHaveProperty('extra');
    const stored = girder.getJob(body._id as string) as unknown as Record<string, unknown>;
    expect(stored).toMatchObject({
      status: JobStatus.INACTIVE,
      userId: girder.admin.user._id,
      extra: 'kept, not shown',
    });
    // The owner may then drive it with a normal login token.
    const queued = await jsonOf<Job>(
      await put(body._id as string, girder.admin.token, { status: JobStatus.QUEUED }),
    );
    expect(queued.body.status).toBe(JobStatus.QUEUED);
  });

  it('answers 401 without a token and 403 for a login token without the scope (Token.requireScope)', async () => {
    const anonymous = await jsonOf(await post({ title: 't', type: 't' }));
    expect(anonymous).toEqual({
      status: 401,
      body: { message: 'You must be logged in or have a valid auth token.', type: 'access' },
    });
    const user = await jsonOf(await post({ title: 't', type: 't' }, girder.admin.token));
    expect(user).toEqual({
      status: 403,
      body: { message: 'Invalid token scope, required: jobs.rest.create_job.', type: 'access' },
    });
  });

  it('names missing and malformed parameters', async () => {
    const scoped = girder.createToken({ userId: null, scope: ['jobs.rest.create_job'] });
    expect((await jsonOf(await post({ type: 't' }, scoped))).body).toEqual({
      message: 'Parameter "title" is required.',
      type: 'rest',
    });
    expect((await jsonOf(await post({ title: 't', type: 't', args: '{}' }, scoped))).body).toEqual({
      message: 'Parameter args must be a JSON array.',
      type: 'rest',
    });
    const anonymousJob = await jsonOf<Record<string, unknown>>(await post({ title: 't', type: 't' }, scoped));
    expect(girder.getJob(anonymousJob.body._id as string).userId).toBeNull();
  });
});

describe('job progress numbers', () => {
  it('are written as Python floats ("4.0", not "4"), as Girder stores float(progressCurrent)', async () => {
    const { job, token } = girder.createJob();
    const res = await put(job._id, token, { progressTotal: 10, progressCurrent: 4, progressMessage: 'm' });
    const text = await res.text();
    expect(text).toContain('"total":10.0');
    expect(text).toContain('"current":4.0');
    const again = await (await put(job._id, token, { progressCurrent: 2.5 })).text();
    expect(again).toContain('"current":2.5');
    const got = await (await api(girder, `/job/${job._id}`, { token })).text();
    expect(got).toContain('"total":10.0');
    expect(JSON.parse(got).progress).toEqual({ total: 10, current: 2.5, message: 'm' });
  });
});

describe('pythonFloatText', () => {
  it("writes numbers as Python's json.dumps writes floats", () => {
    // Expected values printed by CPython 3.11: json.dumps(float(v)).
    const cases: [number, string][] = [
      [5, '5.0'],
      [0.5, '0.5'],
      [0.1, '0.1'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [123456789.125, '123456789.125'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [-0, '-0.0'],
      [1.5e300, '1.5e+300'],
      [3e-7, '3e-07'],
      [100, '100.0'],
      [1.2345678901234567e19, '1.2345678901234567e+19'],
      [2.5e-4, '0.00025'],
      [-42, '-42.0'],
    ];
    for (const [value, text] of cases) expect(pythonFloatText(value), String(value)).toBe(text);
  });
});
