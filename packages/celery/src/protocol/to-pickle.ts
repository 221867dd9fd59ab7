import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
} from '@girder-worker/girder';
import {
  ChunkedTransferEncodingStream,
  Connect,
  ContainerStdErr,
  ContainerStdOut,
  HostStdErr,
  HostStdOut,
  NamedInputPipe,
  NamedOutputPipe,
  type NamedPipeBase,
  ProgressPipe,
} from '@girder-worker/pipes';
import {
  BindMountVolume,
  isPlainObject,
  TemporaryVolume,
  Transform,
  VolumePath,
} from '@girder-worker/transforms';
import { newPyDict, type PyDict, PyObject, PyType, type PyValue } from '../jsonpickle/nodes.ts';
import { DOCKER_TRANSFORMS, GIRDER_TRANSFORMS } from '../mapping/class-table.ts';
import { CeleryProtocolError } from './errors.ts';

/** The Girder client pickled as `gc` into every Girder transform of a published message. */
export interface PickledGirderClient {
  /** The API root, e.g. `http://localhost:8080/api/v1`. */
  apiUrl: string;
  /** The token the transforms use (Girder issues one per transform; one is enough). */
  token: string;
}

function dict(entries: Record<string, PyValue>): PyDict {
  return Object.assign(newPyDict(), entries);
}

/** Turns our transforms back into girder_worker's pickled objects, keeping identity. */
export class Pickler {
  readonly #gc: PickledGirderClient | undefined;
  readonly #memo = new Map<object, PyValue>();

  /** @param gc - the client pickled into Girder transforms (None when absent) */
  constructor(gc: PickledGirderClient | undefined) {
    this.#gc = gc;
  }

  /**
   * @param value - one of our values (transforms, arrays, plain objects, scalars)
   * @param path - its path, for errors
   * @returns the Python value girder_worker would have pickled
   * @throws {@link CeleryProtocolError} for a value without a girder_worker counterpart
   */
  value(value: unknown, path: string): PyValue {
    if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
    if (typeof value === 'number') return value;
    if (value === undefined) return null;
    if (typeof value !== 'object') throw new CeleryProtocolError(path, `cannot publish a ${typeof value}`);
    // TemporaryVolume.default is a new placeholder at each access in girder_worker too.
    if (value instanceof TemporaryVolume && value.isDefault) return this.#defaultVolume();
    const known = this.#memo.get(value);
    if (known !== undefined) return known;
    if (Array.isArray(value)) {
      const list: PyValue[] = [];
      this.#memo.set(value, list);
      value.forEach((item, i) => {
        list.push(this.value(item, `${path}[${i}]`));
      });
      return list;
    }
    if (value instanceof Transform) {
      const object = this.#transform(value, path);
      this.#memo.set(value, object);
      return object;
    }
    if (isPlainObject(value)) {
      const out = newPyDict();
      this.#memo.set(value, out);
      for (const [key, item] of Object.entries(value)) out[key] = this.value(item, `${path}.${key}`);
      return out;
    }
    throw new CeleryProtocolError(path, `cannot publish a ${value.constructor?.name ?? 'value'}`);
  }

  #defaultVolume(): PyObject {
    return new PyObject(
      `${DOCKER_TRANSFORMS}._DefaultTemporaryVolume`,
      dict({
        _host_path: null,
        _container_path: null,
        mode: 'rw',
        _transformed: false,
        host_dir: null,
        _mode: 0o777,
        _instance: null,
      }),
    );
  }

  #client(): PyValue {
    if (!this.#gc) return null;
    return new PyObject(
      'girder_client.GirderClient',
      dict({
        host: null,
        scheme: null,
        port: null,
        urlBase: `${this.#gc.apiUrl.replace(/\/+$/, '')}/`,
        token: this.#gc.token,
        _folderUploadCallbacks: [],
        _itemUploadCallbacks: [],
        _serverVersion: [],
        _serverApiDescription: newPyDict(),
        incomingMetadata: newPyDict(),
        localMetadata: newPyDict(),
        cache: null,
        progressReporterCls: new PyType('girder_client._NoopProgressReporter'),
        _session: null,
      }),
    );
  }

  #docker(name: string, attributes: Record<string, PyValue>): PyObject {
    return new PyObject(`${DOCKER_TRANSFORMS}.${name}`, dict(attributes));
  }

  #girder(name: string, attributes: Record<string, PyValue>): PyObject {
    return new PyObject(`${GIRDER_TRANSFORMS}.${name}`, dict(attributes));
  }

  #transform(t: Transform, path: string): PyValue {
    const v = (value: unknown, key: string): PyValue => this.value(value, `${path}.${key}`);
    if (t instanceof TemporaryVolume) {
      return this.#docker('TemporaryVolume', {
        _host_path: null,
        _container_path: null,
        mode: t.mode,
        _transformed: false,
        host_dir: t.hostDir ?? null,
        _mode: t.dirMode,
        _instance: null,
      });
    }
    if (t instanceof BindMountVolume) {
      return this.#docker('BindMountVolume', {
        _host_path: t.hostPath,
        _container_path: t.containerPath,
        mode: t.mode,
      });
    }
    if (t instanceof VolumePath)
      return this.#docker('VolumePath', { filename: t.filename, _volume: v(t.volume, 'volume') });
    if (t instanceof NamedInputPipe || t instanceof NamedOutputPipe) return this.#pipe(t, path);
    if (t instanceof Connect) {
      return this.#docker('Connect', { _input: v(t.input, 'input'), _output: v(t.output, 'output') });
    }
    for (const [cls, name] of [
      [HostStdOut, 'HostStdOut'],
      [HostStdErr, 'HostStdErr'],
      [ContainerStdOut, 'ContainerStdOut'],
      [ContainerStdErr, 'ContainerStdErr'],
    ] as const) {
      if (t instanceof cls) return this.#docker(name, {});
    }
    if (t instanceof ChunkedTransferEncodingStream) {
      return this.#docker('ChunkedTransferEncodingStream', { url: t.url, headers: dict({ ...t.headers }) });
    }
    if (t instanceof ProgressPipe)
      return this.#girder('ProgressPipe', { name: t.pipe.name, _volume: v(t.pipe.volume, 'volume') });
    return this.#girderTransform(t, path);
  }

  #pipe(t: NamedPipeBase, path: string): PyObject {
    const explicit = t.hostDir !== undefined;
    return this.#docker(t instanceof NamedInputPipe ? 'NamedInputPipe' : 'NamedOutputPipe', {
      _container_path: explicit ? (t.containerDir ?? null) : null,
      _host_path: explicit ? (t.hostDir ?? null) : null,
      _volume: explicit ? null : this.value(t.volume, `${path}.volume`),
      name: t.name,
    });
  }

  #girderTransform(t: Transform, path: string): PyValue {
    const v = (value: unknown, key: string): PyValue => this.value(value, `${path}.${key}`);
    if (t instanceof GirderFileIdToStream)
      return this.#girder('GirderFileIdToStream', { gc: this.#client(), file_id: t.fileId });
    if (t instanceof GirderFileIdToVolume) {
      return this.#girder('GirderFileIdToVolume', {
        gc: this.#client(),
        _file_id: t.fileId,
        _volume: v(t.volume, 'volume'),
        _filename: t.filename ?? null,
        _file_path: null,
      });
    }
    if (t instanceof GirderItemIdToVolume) {
      return this.#girder('GirderItemIdToVolume', {
        gc: this.#client(),
        _item_id: t.itemId,
        _volume: v(t.volume, 'volume'),
        _item_path: null,
      });
    }
    if (t instanceof GirderFolderIdToVolume) {
      return this.#girder('GirderFolderIdToVolume', {
        gc: this.#client(),
        _folder_id: t.folderId,
        _volume: v(t.volume, 'volume'),
        _folder_name: t.folderName ?? null,
        _folder_path: null,
      });
    }
    if (t instanceof GirderUploadVolumePathToItem) {
      return this.#girder('GirderUploadVolumePathToItem', {
        gc: this.#client(),
        item_id: t.itemId,
        upload_kwargs: newPyDict(),
        delete_file: t.deleteFile,
        _volumepath: v(t.volumePath, 'volumePath'),
      });
    }
    if (t instanceof GirderUploadVolumePathToFolder) {
      return this.#girder('GirderUploadVolumePathToFolder', {
        gc: this.#client(),
        folder_id: t.folderId,
        upload_kwargs: newPyDict(),
        delete_file: t.deleteFile,
        must_exist: true,
        _volumepath: v(t.volumePath, 'volumePath'),
      });
    }
    if (t instanceof GirderUploadVolumePathJobArtifact) {
      return this.#girder('GirderUploadVolumePathJobArtifact', {
        gc: this.#client(),
        job_id: t.jobId ?? null,
        name: t.name ?? null,
        _volumepath: v(t.volumePath, 'volumePath'),
        _upload_on_exception: t.uploadOnException,
      });
    }
    throw new CeleryProtocolError(
      path,
      `${String(t)} has no girder_worker counterpart: a Python worker could not run it`,
    );
  }
}
