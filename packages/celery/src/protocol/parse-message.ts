import { TextDecoder } from 'node:util';
import { decodeJsonPickle, decodeJsonPickleText } from '../jsonpickle/decode.ts';
import { isPyDict, type PyDict, PyTuple, type PyValue } from '../jsonpickle/nodes.ts';
import type { RawCeleryMessage } from '../task.ts';
import { CeleryProtocolError } from './errors.ts';
import { type JobInfoSpec, parseJobInfoSpec } from './job-info-spec.ts';

/** A Celery protocol v2 task message, decoded (jsonpickle resolved, nothing mapped yet). */
export interface CeleryTask {
  /** The task id (`headers.id`). */
  id: string;
  /** The task name (`headers.task`), e.g. `girder_worker.docker.tasks.docker_run`. */
  task: string;
  /** Positional arguments (a `py/tuple` or a plain list in the message). */
  args: PyValue[];
  /** Keyword arguments. */
  kwargs: PyDict;
  /** Celery's `embed` (callbacks, errbacks, chain, chord). */
  embed: PyValue;
  /** `headers.timelimit`: [hard, soft] in seconds, each absent when null. */
  timelimit: { hardSeconds?: number; softSeconds?: number };
  /** `headers.eta`: do not start before this time. */
  eta: Date | undefined;
  /** `headers.expires`: do not start after this time (Celery then revokes the task). */
  expires: Date | undefined;
  /** `headers.retries`. */
  retries: number;
  /** `headers.root_id`, `headers.parent_id`. */
  rootId: string | undefined;
  /** The parent task, when published from inside a task. */
  parentId: string | undefined;
  /** Where to report, from `headers.jobInfoSpec` (absent: nothing to report to). */
  jobInfoSpec: JobInfoSpec | undefined;
  /** `headers.girder_api_url`. */
  girderApiUrl: string | undefined;
  /** `headers.girder_client_token` (never logged). */
  girderClientToken: string | undefined;
  /** `headers.girder_result_hooks`, each decoded on its own (own `py/id` numbering). */
  girderResultHooks: PyValue[];
  /** `headers.girder_client_session_kwargs` (requests.Session attributes), if given. */
  girderClientSessionKwargs: Record<string, unknown> | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function optionalString(headers: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = headers[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new CeleryProtocolError(`headers.${key}`, 'expected a string');
  return value;
}

function seconds(value: unknown, path: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0))
    throw new CeleryProtocolError(path, 'expected seconds > 0 or null');
  return value;
}

function time(headers: Readonly<Record<string, unknown>>, key: string): Date | undefined {
  const text = optionalString(headers, key);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CeleryProtocolError(`headers.${key}`, 'expected an ISO 8601 time or null');
  return new Date(ms);
}

function parseTimelimit(value: unknown): CeleryTask['timelimit'] {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value) || value.length !== 2) {
    throw new CeleryProtocolError('headers.timelimit', 'expected [hard, soft] (seconds or null)');
  }
  const hard = seconds(value[0], 'headers.timelimit[0]');
  const soft = seconds(value[1], 'headers.timelimit[1]');
  return {
    ...(hard === undefined ? {} : { hardSeconds: hard }),
    ...(soft === undefined ? {} : { softSeconds: soft }),
  };
}

/**
 * Reads only the `jobInfoSpec` header (so a task whose body cannot be read can still fail its job).
 * @param message - the raw message
 * @returns the spec, or undefined when the message has none
 * @throws {@link CeleryProtocolError} when it is malformed
 */
export function readJobInfoSpec(message: RawCeleryMessage): JobInfoSpec | undefined {
  const value = message.headers.jobInfoSpec;
  return value === undefined || value === null ? undefined : parseJobInfoSpec(value);
}

function decodeBody(message: RawCeleryMessage): { args: PyValue[]; kwargs: PyDict; embed: PyValue } {
  if (!/^application\/json\b/i.test(message.contentType)) {
    throw new CeleryProtocolError('contentType', `expected application/json, got '${message.contentType}'`);
  }
  if (!/^utf-?8$/i.test(message.contentEncoding)) {
    throw new CeleryProtocolError('contentEncoding', `expected utf-8, got '${message.contentEncoding}'`);
  }
  let text: string;
  try {
    text = utf8.decode(message.body);
  } catch (error) {
    throw new CeleryProtocolError('body', 'expected UTF-8 text', { cause: error });
  }
  const body = decodeJsonPickleText(text, 'body');
  const parts = body instanceof PyTuple ? body.items : Array.isArray(body) ? body : undefined;
  if (parts?.length !== 3) {
    throw new CeleryProtocolError('body', 'expected the Celery protocol v2 body (args, kwargs, embed)');
  }
  const [args, kwargs, embed] = parts as [PyValue, PyValue, PyValue];
  const argList = args instanceof PyTuple ? args.items : Array.isArray(args) ? args : undefined;
  if (!argList)
    throw new CeleryProtocolError('body[0]', 'expected the positional arguments (a tuple or a list)');
  if (!isPyDict(kwargs)) throw new CeleryProtocolError('body[1]', 'expected the keyword arguments (a dict)');
  return { args: argList, kwargs, embed };
}

/**
 * Parses a raw Celery message: headers checked, body and each result hook jsonpickle-decoded.
 * @param message - as the broker delivered it
 * @returns the task
 * @throws {@link CeleryProtocolError} naming the field; {@link JsonPickleError} from decoding
 */
export function parseCeleryTask(message: RawCeleryMessage): CeleryTask {
  const { headers } = message;
  const id = optionalString(headers, 'id') ?? message.properties.correlationId;
  if (!id) throw new CeleryProtocolError('headers.id', 'expected the task id');
  const task = optionalString(headers, 'task');
  if (!task) throw new CeleryProtocolError('headers.task', 'expected the task name');
  const hooks = headers.girder_result_hooks;
  if (hooks !== undefined && hooks !== null && !Array.isArray(hooks)) {
    throw new CeleryProtocolError('headers.girder_result_hooks', 'expected a list of jsonpickled hooks');
  }
  const session = headers.girder_client_session_kwargs;
  if (session !== undefined && session !== null && (typeof session !== 'object' || Array.isArray(session))) {
    throw new CeleryProtocolError('headers.girder_client_session_kwargs', 'expected a dict');
  }
  const retries = headers.retries ?? 0;
  if (!Number.isInteger(retries)) throw new CeleryProtocolError('headers.retries', 'expected an integer');
  return {
    id,
    task,
    ...decodeBody(message),
    timelimit: parseTimelimit(headers.timelimit),
    eta: time(headers, 'eta'),
    expires: time(headers, 'expires'),
    retries: retries as number,
    rootId: optionalString(headers, 'root_id'),
    parentId: optionalString(headers, 'parent_id'),
    jobInfoSpec: readJobInfoSpec(message),
    girderApiUrl: optionalString(headers, 'girder_api_url'),
    girderClientToken: optionalString(headers, 'girder_client_token'),
    girderResultHooks: (hooks ?? []).map((hook: unknown, i: number) =>
      decodeJsonPickle(hook, `headers.girder_result_hooks[${i}]`),
    ),
    girderClientSessionKwargs: (session ?? undefined) as Record<string, unknown> | undefined,
  };
}
