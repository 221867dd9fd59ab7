import { json, type RouteContext, type Router } from '../http.ts';
import { isValidJobStatus, JobStatus, validTransitionsFor } from '../job-status.ts';
import { AccessType, type GirderUserDoc, girderDate, type JobDoc } from '../models.ts';
import { newObjectId } from '../object-id.ts';
import { jobOut } from '../output.ts';
import { isFormContentType } from '../request-body.ts';
import { accessError, restError, validationError } from '../rest-error.ts';
import { type Controlled, USER_AUTH_SCOPE } from '../state.ts';
import { storeWholeFile } from '../upload.ts';

/** Internal: girder `ensureTokenScopes` for a job's scope (401 without a user, as Girder). */
function ensureJobScope(ctx: RouteContext, jobId: string): void {
  const token = ctx.token;
  const scope = `jobs.job_${jobId}`;
  if (token && (token.scope.includes(USER_AUTH_SCOPE) || token.scope.includes(scope))) return;
  throw accessError(
    `Invalid token scope.\nRequired: ${scope}.\nAllowed: ${token ? token.scope.join(' ') : ''}`,
  );
}

/** Internal: write access to a job for a user, or the job's scope for a token without user. */
function requireJobWrite(ctx: RouteContext, job: Controlled<JobDoc>): void {
  if (ctx.user) ctx.state.requireAccess('job', job, ctx.user, AccessType.WRITE);
  else ensureJobScope(ctx, job.doc._id);
}

/** Internal: the fields a job update may change (plugins/jobs `Job.updateJob`). */
interface JobUpdate {
  log?: string | undefined;
  overwrite?: boolean;
  status?: string | number | undefined;
  progressTotal?: number | undefined;
  progressCurrent?: number | undefined;
  progressMessage?: string | undefined;
}

/**
 * Internal: applies an update as the jobs plugin does: the status is validated (400, field
 * `status`, nothing applied on an invalid transition), a status change appends a timestamp, the
 * log is appended (or overwritten), progress fields are set.
 */
function updateJob(job: JobDoc, update: JobUpdate): void {
  const now = girderDate();
  let status: number | string | undefined;
  if (update.status !== undefined) {
    const text = String(update.status).trim();
    status = /^[-+]?\d+$/.test(text) ? Number.parseInt(text, 10) : text;
    if (!isValidJobStatus(status)) throw validationError(`Invalid job status ${status}.`, 'status');
    if (status !== job.status) {
      const previous = validTransitionsFor(job.handler, status);
      if (previous === undefined) {
        throw validationError(
          `No valid state transition to '${status}'. Current state is '${job.status}'.`,
          'status',
        );
      }
      if (!previous.includes(job.status as number)) {
        throw validationError(
          `Invalid state transition to '${status}', Current state is '${job.status}'.`,
          'status',
        );
      }
    }
  }
  let changed = false;
  if (update.log !== undefined) {
    if (update.overwrite) {
      job.log = [update.log];
      changed = true;
    } else if (update.log) {
      job.log.push(update.log);
      changed = true;
    }
  }
  if (status !== undefined && status !== job.status) {
    job.status = status;
    job.timestamps.push({ status, time: now });
    changed = true;
  }
  const { progressTotal: total, progressCurrent: current, progressMessage: message } = update;
  if (total !== undefined || current !== undefined || message !== undefined) {
    if (job.progress === null) {
      job.progress = { message: message ?? null, total: total ?? null, current: current ?? null };
    } else {
      if (total !== undefined) job.progress.total = total;
      if (current !== undefined) job.progress.current = current;
      if (message !== undefined) job.progress.message = message;
    }
    changed = true;
  }
  if (changed) job.updated = now;
}

/**
 * Internal: cancels a job as the jobs plugin with the worker plugin does: worker jobs go
 * INACTIVE → CANCELED, or to CANCELING while active; other jobs straight to CANCELED.
 */
function cancelJob(job: JobDoc): void {
  if (job.handler === 'worker_handler' || job.handler === 'celery_handler') {
    if (job.status === JobStatus.INACTIVE) updateJob(job, { status: JobStatus.CANCELED });
    else if (
      !(
        [JobStatus.CANCELING, JobStatus.CANCELED, JobStatus.SUCCESS, JobStatus.ERROR] as (number | string)[]
      ).includes(job.status)
    ) {
      updateJob(job, { status: JobStatus.CANCELING });
    }
    return;
  }
  updateJob(job, { status: JobStatus.CANCELED });
}

/** The scope a token needs for POST /job (plugins/jobs constants `REST_CREATE_JOB_TOKEN_SCOPE`). */
const CREATE_JOB_SCOPE = 'jobs.rest.create_job';

/** Internal: POST /job as job_rest.py `createJob` + the model's `createJob` (INACTIVE, no jobInfoSpec). */
function createJobFromRest(ctx: RouteContext): JobDoc {
  const { state, params } = ctx;
  // access.token(scope=…, required=True) checks with Token.requireScope, which (unlike
  // ensureTokenScopes) does not let a user-auth token pass: a plain login token gets 403.
  if (!ctx.token?.scope.includes(CREATE_JOB_SCOPE)) {
    throw accessError(`Invalid token scope, required: ${CREATE_JOB_SCOPE}.`);
  }
  const title = params.string('title', { required: true });
  const type = params.string('type', { required: true });
  const parentId = params.string('parentId');
  const parent = parentId ? state.load('job', parentId) : undefined;
  if (parent) state.requireAccess('job', parent, ctx.user, AccessType.ADMIN);
  const isPublic = params.bool('public', false);
  const handler = params.string('handler') ?? null;
  const args = params.json('args');
  if (args !== undefined && !Array.isArray(args)) throw restError('Parameter args must be a JSON array.');
  const kwargs = params.jsonObject('kwargs');
  const otherFields = params.jsonObject('otherFields');
  const now = girderDate();
  const id = newObjectId();
  const doc: JobDoc = {
    _id: id,
    _modelType: 'job',
    title,
    type,
    args: args ?? [],
    kwargs: kwargs ?? {},
    created: now,
    updated: now,
    when: now,
    interval: 0,
    status: JobStatus.INACTIVE,
    progress: null,
    log: [],
    meta: {},
    handler,
    asynchronous: false,
    timestamps: [],
    parentId: parent?.doc._id ?? null,
    userId: ctx.user?._id ?? null,
    public: isPublic,
    ...(otherFields as Partial<JobDoc> | undefined),
  };
  const access = new Map<string, number>();
  if (ctx.user) access.set(ctx.user._id, AccessType.ADMIN);
  state.jobs.set(id, { doc, access });
  return doc;
}

/** Internal: /job routes (plugins/jobs/girder_jobs/job_rest.py) and the artifact route. */
export function addJobRoutes(router: Router): void {
  router.add({
    method: 'POST',
    segments: ['job'],
    access: 'token',
    scopes: [CREATE_JOB_SCOPE],
    handler: (ctx) => {
      const doc = createJobFromRest(ctx);
      return json(jobOut(ctx.state.load('job', doc._id), ctx.user, true));
    },
  });

  router.add({
    method: 'GET',
    segments: ['job', ':id'],
    access: 'public',
    scopes: [],
    handler: (ctx) => {
      const job = ctx.state.load('job', ctx.path.id as string);
      if (!job.doc.public) {
        if (ctx.user) ctx.state.requireAccess('job', job, ctx.user, AccessType.READ);
        else ensureJobScope(ctx, job.doc._id);
      }
      return json(jobOut(job, ctx.user, true));
    },
  });

  router.add({
    method: 'PUT',
    segments: ['job', ':id'],
    access: 'token',
    scopes: [],
    handler: (ctx) => {
      const job = ctx.state.load('job', ctx.path.id as string);
      const { params } = ctx;
      const update: JobUpdate = {
        log: params.string('log'),
        overwrite: params.bool('overwrite', false),
        progressTotal: params.number('progressTotal'),
        progressCurrent: params.number('progressCurrent'),
        progressMessage: params.string('progressMessage'),
      };
      params.bool('notify', true);
      const status = params.string('status');
      if (status !== undefined) update.status = status;
      requireJobWrite(ctx, job);
      updateJob(job.doc, update);
      return json(jobOut(job, ctx.user, false));
    },
  });

  router.add({
    method: 'PUT',
    segments: ['job', ':id', 'cancel'],
    access: 'user',
    scopes: [],
    handler: (ctx) => {
      const job = ctx.state.load('job', ctx.path.id as string);
      ctx.state.requireAccess('job', job, ctx.user, AccessType.WRITE);
      cancelJob(job.doc);
      return json(jobOut(job, ctx.user, false));
    },
  });

  router.add({
    method: 'POST',
    segments: ['job', ':id', 'artifact'],
    access: 'token',
    scopes: [],
    handler: async (ctx) => {
      const { state, params } = ctx;
      const job = state.load('job', ctx.path.id as string);
      const name = params.string('name', { required: true });
      const mimeType = params.string('mimeType') ?? 'application/octet-stream';
      let size = params.int('size');
      if (size === undefined && ctx.req.headers['content-length'] !== undefined)
        size = Number(ctx.req.headers['content-length']);
      if (size === undefined) throw restError('Parameter "size" is required.');
      requireJobWrite(ctx, job);
      const owner: GirderUserDoc | undefined =
        ctx.user ?? (job.doc.userId ? state.users.get(job.doc.userId)?.doc : undefined) ?? firstAdmin(ctx);
      if (!owner) throw restError('The job has no owner to attribute the artifact to.');
      const body = ctx.bodyConsumed || isFormContentType(ctx.req.headers['content-type']) ? null : ctx.req;
      const file = await storeWholeFile(state, {
        user: owner,
        name,
        size,
        mimeType,
        parentType: null,
        parentId: null,
        attachToJobId: job.doc._id,
        body,
      });
      return json(file);
    },
  });
}

function firstAdmin(ctx: RouteContext): GirderUserDoc | undefined {
  for (const user of ctx.state.users.values()) if (user.doc.admin) return user.doc;
  return undefined;
}
