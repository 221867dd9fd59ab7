import { AccessType, type CollectionDoc, type FolderDoc, type GirderUserDoc, type JobDoc } from './models.ts';
import { pythonFloat } from './py-float.ts';
import type { Controlled, State, UserRecord } from './state.ts';

/** Internal: a folder as Girder's filter returns it (with `_accessLevel`). */
export function folderOut(
  state: State,
  record: Controlled<FolderDoc>,
  user: GirderUserDoc | undefined,
): FolderDoc {
  return { ...record.doc, meta: { ...record.doc.meta }, _accessLevel: state.level(record, user) };
}

/**
 * Internal: a collection as Girder's filter returns it (girder/models/collection.py exposes
 * `_id, name, description, public, created, updated, size, meta`; not `creatorId`).
 */
export function collectionOut(
  state: State,
  record: Controlled<CollectionDoc>,
  user: GirderUserDoc | undefined,
): Omit<CollectionDoc, 'creatorId'> {
  const { creatorId: _creatorId, ...exposed } = record.doc;
  return { ...exposed, meta: structuredClone(exposed.meta), _accessLevel: state.level(record, user) };
}

/**
 * Internal: a user as Girder's filter returns it: `_id, login, public, firstName, lastName, admin,
 * created` to readers; `size, email, groups, groupInvites, status, emailVerified` and `otp` only
 * with admin access (the user itself or a site admin), as girder/models/user.py `exposeFields` and
 * `filter`.
 */
export function userOut(
  state: State,
  record: UserRecord,
  user: GirderUserDoc | undefined,
): Partial<GirderUserDoc> & { _id: string; groupInvites?: never[]; otp?: boolean } {
  const level = state.userLevel(record, user);
  const { size, email, groups, status, emailVerified, ...readable } = record.doc;
  if (level < AccessType.ADMIN) return { ...readable, _accessLevel: level };
  return {
    ...readable,
    size,
    email,
    groups: [...groups],
    groupInvites: [],
    status,
    emailVerified,
    otp: false,
    _accessLevel: level,
  };
}

/** The job fields Girder exposes to readers (plugins/jobs `Job.initialize` exposeFields). */
const JOB_FIELDS = [
  '_id',
  '_modelType',
  'title',
  'type',
  'created',
  'interval',
  'when',
  'status',
  'progress',
  'meta',
  'public',
  'parentId',
  'asynchronous',
  'updated',
  'timestamps',
  'handler',
  'jobInfoSpec',
] as const;

/**
 * Internal: a job as Girder's filter returns it: the exposed fields (not `userId`, nor fields set
 * through `otherFields`), `_accessLevel`, `log` only where the route loads it (not PUT), `args` and
 * `kwargs` only for site admins, progress numbers as Python floats.
 */
export function jobOut(
  record: Controlled<JobDoc>,
  user: GirderUserDoc | undefined,
  includeLog: boolean,
): Record<string, unknown> {
  const doc = record.doc as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of JOB_FIELDS) if (field in doc) out[field] = structuredClone(doc[field]);
  const own = user === undefined ? AccessType.NONE : (record.access.get(user._id) ?? AccessType.NONE);
  out._accessLevel = user?.admin
    ? AccessType.ADMIN
    : Math.max(own, record.doc.public ? AccessType.READ : AccessType.NONE);
  const progress = record.doc.progress;
  if (progress) {
    // Girder stores progress numbers as Python floats (`float(current)`): written "5.0", not "5".
    out.progress = {
      ...progress,
      total: pythonFloat(progress.total),
      current: pythonFloat(progress.current),
    };
  }
  if (includeLog) out.log = [...record.doc.log];
  if (user?.admin) {
    out.args = structuredClone(record.doc.args);
    out.kwargs = structuredClone(record.doc.kwargs);
  }
  return out;
}

/**
 * Internal: a Content-Disposition value as girder/api/rest.py `setContentDisposition` writes it:
 * an ASCII `filename` and, when the name is not plain, a UTF-8 `filename*`.
 */
export function contentDisposition(filename: string, disposition = 'attachment'): string {
  const safe = filename
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"');
  let value = `${disposition}; filename="${safe}"`;
  if (safe !== filename) {
    value += `; filename*=UTF-8''${encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
  }
  return value;
}

/**
 * Internal: an access list as girder/models/model_base.py `getFullAccessList` returns it: each
 * user entry with its login and full name, no groups (the server has none).
 */
export function fullAccessList(
  state: State,
  access: Map<string, number>,
): {
  users: { id: string; level: number; flags: string[]; login: string; name: string }[];
  groups: never[];
} {
  const users = [];
  for (const [id, level] of access) {
    const record = state.users.get(id);
    if (record === undefined) continue;
    users.push({
      id,
      level,
      flags: [],
      login: record.doc.login,
      name: `${record.doc.firstName} ${record.doc.lastName}`,
    });
  }
  return { users, groups: [] };
}
