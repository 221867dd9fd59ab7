import type { CollectionDoc, FolderDoc, GirderUserDoc, JobDoc } from './models.ts';
import type { Controlled, State, UserRecord } from './state.ts';

/** Internal: a folder as Girder's filter returns it (with `_accessLevel`). */
export function folderOut(
  state: State,
  record: Controlled<FolderDoc>,
  user: GirderUserDoc | undefined,
): FolderDoc {
  return { ...record.doc, meta: { ...record.doc.meta }, _accessLevel: state.level(record, user) };
}

/** Internal: a collection as Girder's filter returns it. */
export function collectionOut(
  state: State,
  record: Controlled<CollectionDoc>,
  user: GirderUserDoc | undefined,
): CollectionDoc {
  return { ...record.doc, _accessLevel: state.level(record, user) };
}

/** Internal: a user as Girder's filter returns it. */
export function userOut(state: State, record: UserRecord, user: GirderUserDoc | undefined): GirderUserDoc {
  return { ...record.doc, groups: [...record.doc.groups], _accessLevel: state.userLevel(record, user) };
}

/**
 * Internal: a job as Girder's filter returns it: `log` only where the route loads it
 * (GET /job/{id}), `args`/`kwargs` only for site admins.
 */
export function jobOut(
  record: Controlled<JobDoc>,
  user: GirderUserDoc | undefined,
  includeLog: boolean,
): Partial<JobDoc> {
  const { log, args, kwargs, ...rest } = record.doc;
  const out: Partial<JobDoc> = structuredClone(rest);
  if (includeLog) out.log = [...log];
  if (user?.admin) {
    out.args = structuredClone(args);
    out.kwargs = structuredClone(kwargs);
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
