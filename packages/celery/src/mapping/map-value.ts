import type { GirderClient } from '@girder-worker/girder-client';
import { HostStdErr, HostStdOut } from '@girder-worker/pipes';
import type { Transform } from '@girder-worker/transforms';
import {
  isPyDict,
  PyBytes,
  PyDatetime,
  PyObject,
  PyObjectId,
  PyReduce,
  PySet,
  PyTuple,
  PyType,
  type PyValue,
} from '../jsonpickle/nodes.ts';
import { Attributes, expected, keyPath } from './attributes.ts';
import { CLASS_TABLE, type ClassMappingContext } from './class-table.ts';
import { MappingError, UnknownClassError } from './errors.ts';

/** Where a pickled `GirderClient` points. */
export interface GirderClientSpec {
  /** The API root without a trailing slash (from `urlBase`). */
  apiUrl: string;
  /** Its token (never logged). */
  token: string | undefined;
}

/** Options of {@link ValueMapper}. */
export interface ValueMapperOptions {
  /** Makes the Girder client of a pickled `gc`. */
  girderClient: (spec: GirderClientSpec) => GirderClient;
  /**
   * What `HostStdOut` stands for.
   * @default pipes' HostStdOut (this process's stdout)
   */
  hostStdOut?: () => Transform;
  /**
   * What `HostStdErr` stands for.
   * @default pipes' HostStdErr (this process's stderr)
   */
  hostStdErr?: () => Transform;
}

const GIRDER_CLIENT_ATTRIBUTES = [
  'host',
  'scheme',
  'port',
  '_folderUploadCallbacks',
  '_itemUploadCallbacks',
  '_serverVersion',
  '_serverApiDescription',
  'incomingMetadata',
  'localMetadata',
  'cache',
  'progressReporterCls',
  '_session',
];

/**
 * Turns decoded jsonpickle values into ours: girder_worker transforms through {@link CLASS_TABLE}
 * (one pickled object gives one transform, so a volume shared by a `VolumePath` and `volumes`
 * stays one object), tuples into arrays, dicts into plain objects, ObjectIds into hex strings.
 * A class outside the table is an {@link UnknownClassError} naming it and its JSON path.
 */
export class ValueMapper implements ClassMappingContext {
  readonly #options: ValueMapperOptions;
  readonly #memo = new Map<object, unknown>();
  readonly #clients = new Map<string, GirderClient>();

  /** @param options - how Girder clients and the host streams are made */
  constructor(options: ValueMapperOptions) {
    this.#options = options;
  }

  /**
   * @param value - a decoded value
   * @param path - its JSON path (for errors)
   * @returns our value
   * @throws {@link UnknownClassError}, {@link MappingError}
   */
  map(value: PyValue | undefined, path: string): unknown {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== 'object') return value;
    if (this.#memo.has(value)) return this.#memo.get(value);
    let mapped: unknown;
    if (Array.isArray(value)) {
      const list: unknown[] = [];
      this.#memo.set(value, list);
      value.forEach((item, i) => {
        list.push(this.map(item, keyPath(path, i)));
      });
      return list;
    }
    if (value instanceof PyTuple || value instanceof PySet) {
      return value.items.map((item, i) => this.map(item, keyPath(path, i)));
    }
    if (value instanceof PyObjectId) mapped = value.hex;
    else if (value instanceof PyDatetime) mapped = value.toISOString();
    else if (value instanceof PyObject) mapped = this.#object(value, path);
    else if (isPyDict(value)) {
      const out: Record<string, unknown> = {};
      this.#memo.set(value, out);
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(out, key, {
          value: this.map(item, keyPath(path, key)),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    } else if (value instanceof PyBytes || value instanceof PyType || value instanceof PyReduce) {
      throw new MappingError(path, `a ${value.constructor.name} has no meaning for docker_run here`);
    } else expected(path, 'a value', value);
    this.#memo.set(value, mapped);
    return mapped;
  }

  #object(object: PyObject, path: string): unknown {
    const mapper = CLASS_TABLE.get(object.className);
    if (!mapper) throw new UnknownClassError(object.className, path);
    const attributes = new Attributes(object, path);
    const mapped = mapper(attributes, this);
    attributes.done();
    return mapped;
  }

  /** The client of a pickled `gc`: one per distinct API URL and token. */
  girderClient(gc: PyValue | undefined, path: string): GirderClient | undefined {
    if (gc === null || gc === undefined) return undefined;
    if (!(gc instanceof PyObject) || gc.className !== 'girder_client.GirderClient') {
      return expected(path, 'a girder_client.GirderClient or None', gc);
    }
    const a = new Attributes(gc, path);
    const urlBase = a.string('urlBase');
    const token = a.optionalString('token');
    a.ignore(...GIRDER_CLIENT_ATTRIBUTES);
    a.done();
    if (!/^https?:\/\//.test(urlBase)) expected(keyPath(path, 'urlBase'), 'an http(s) URL', urlBase);
    const apiUrl = urlBase.replace(/\/+$/, '');
    const key = `${apiUrl}\n${token ?? ''}`;
    let client = this.#clients.get(key);
    if (!client) {
      client = this.#options.girderClient({ apiUrl, token });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** @returns what HostStdOut stands for */
  hostStdOut(): Transform {
    return this.#options.hostStdOut?.() ?? new HostStdOut();
  }

  /** @returns what HostStdErr stands for */
  hostStdErr(): Transform {
    return this.#options.hostStdErr?.() ?? new HostStdErr();
  }
}
