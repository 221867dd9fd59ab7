import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
} from '@girder-worker/girder';
import type { GirderClient } from '@girder-worker/girder-client';
import {
  ChunkedTransferEncodingStream,
  Connect,
  ContainerStdErr,
  ContainerStdOut,
  NamedInputPipe,
  NamedOutputPipe,
  ProgressPipe,
} from '@girder-worker/pipes';
import {
  BindMountVolume,
  ResultTransform,
  TemporaryVolume,
  Transform,
  VolumePath,
} from '@girder-worker/transforms';
import { isPyDict, PyObjectId, type PyValue } from '../jsonpickle/nodes.ts';
import { type Attributes, expected } from './attributes.ts';
import { MappingError } from './errors.ts';
import { WithGirderClient, WithGirderClientHook } from './with-girder-client.ts';

/** What a class mapper may ask of the value mapper. */
export interface ClassMappingContext {
  /** Maps a nested value (identity kept: one pickled object gives one of ours). */
  map(value: PyValue | undefined, path: string): unknown;
  /** The Girder client of a pickled `gc` (undefined for None: the run's client is used). */
  girderClient(gc: PyValue | undefined, path: string): GirderClient | undefined;
  /** What `HostStdOut` stands for in this run (the Girder job log when the task has a job). */
  hostStdOut(): Transform;
  /** What `HostStdErr` stands for in this run. */
  hostStdErr(): Transform;
}

/** Maps one pickled object (its attributes) to our value. */
export type ClassMapper = (attributes: Attributes, ctx: ClassMappingContext) => unknown;

/** girder_worker's module of docker transforms. */
export const DOCKER_TRANSFORMS = 'girder_worker.docker.transforms';
/** girder_worker's module of Girder docker transforms. */
export const GIRDER_TRANSFORMS = 'girder_worker.docker.transforms.girder';
/** The girder_io transforms: girder_worker_utils, and their Girder 5 home under girder_worker.utils. */
const UTILS_GIRDER_IO: readonly string[] = [
  'girder_worker_utils.transforms.girder_io',
  'girder_worker.utils.transforms.girder_io',
];

function instance<T>(
  value: unknown,
  cls: abstract new (...args: never[]) => T,
  what: string,
  path: string,
): T {
  return value instanceof cls ? value : expected(path, what, value);
}

function volumeOf(a: Attributes, ctx: ClassMappingContext, key = '_volume'): BindMountVolume {
  const value = a.raw(key);
  if (value === undefined || value === null) return TemporaryVolume.default;
  return instance(ctx.map(value, a.at(key)), BindMountVolume, 'a volume', a.at(key));
}

function volumePathOf(a: Attributes, ctx: ClassMappingContext): VolumePath {
  return instance(
    ctx.map(a.raw('_volumepath'), a.at('_volumepath')),
    VolumePath,
    'a VolumePath',
    a.at('_volumepath'),
  );
}

function withClient(transform: Transform, client: GirderClient | undefined): Transform {
  if (!client) return transform;
  return transform instanceof ResultTransform
    ? new WithGirderClientHook(transform, { client })
    : new WithGirderClient(transform, client);
}

/** Builds our transform, turning a constructor's validation error into one that names the path. */
function build<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof MappingError) throw error;
    throw new MappingError(path, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

function namedPipe(kind: 'input' | 'output'): ClassMapper {
  return (a, ctx) => {
    const name = a.string('name');
    const hostPath = a.optionalString('_host_path');
    const containerPath = a.optionalString('_container_path');
    const Pipe = kind === 'input' ? NamedInputPipe : NamedOutputPipe;
    if (hostPath !== undefined || containerPath !== undefined) {
      a.ignore('_volume');
      if (hostPath === undefined || containerPath === undefined) {
        throw new MappingError(a.path, 'give both _host_path and _container_path, or neither');
      }
      return build(a.path, () => new Pipe(name, { hostPath, containerPath }));
    }
    const volume = volumeOf(a, ctx);
    return build(a.path, () => new Pipe(name, { volume }));
  };
}

function downloadVolume(a: Attributes, ctx: ClassMappingContext): BindMountVolume {
  return volumeOf(a, ctx);
}

const dockerClasses: Record<string, ClassMapper> = {
  BindMountVolume: (a) => {
    const host = a.string('_host_path');
    const container = a.string('_container_path');
    const mode = a.optionalString('mode') ?? 'rw';
    return build(a.path, () => new BindMountVolume(host, container, mode as 'rw'));
  },
  TemporaryVolume: (a) => {
    a.none('_host_path', 'a temporary volume is made by the run');
    a.none('_container_path', 'a temporary volume is made by the run');
    a.none('_instance', 'set only while a Python worker runs the task');
    a.ignore('_transformed');
    const mode = a.optionalString('mode');
    if (mode !== undefined && mode !== 'rw' && mode !== 'ro') expected(a.at('mode'), "'rw' or 'ro'", mode);
    const hostDir = a.optionalString('host_dir');
    const dirMode = a.optionalInteger('_mode');
    return build(
      a.path,
      () =>
        new TemporaryVolume({
          ...(mode === undefined ? {} : { mode }),
          ...(hostDir === undefined ? {} : { hostDir }),
          ...(dirMode === undefined ? {} : { dirMode }),
        }),
    );
  },
  _DefaultTemporaryVolume: (a) => {
    a.ignore('_host_path', '_container_path', 'mode', '_transformed', 'host_dir', '_mode', '_instance');
    return TemporaryVolume.default;
  },
  VolumePath: (a, ctx) => {
    const filename = a.string('filename');
    const volume = volumeOf(a, ctx);
    return build(a.path, () => new VolumePath(filename, volume));
  },
  NamedInputPipe: namedPipe('input'),
  NamedOutputPipe: namedPipe('output'),
  Connect: (a, ctx) => {
    const input = instance(
      ctx.map(a.raw('_input'), a.at('_input')),
      Transform,
      'a stream transform',
      a.at('_input'),
    );
    const output = instance(
      ctx.map(a.raw('_output'), a.at('_output')),
      Transform,
      'a stream transform',
      a.at('_output'),
    );
    return build(a.path, () => new Connect(input, output));
  },
  HostStdOut: (_a, ctx) => ctx.hostStdOut(),
  HostStdErr: (_a, ctx) => ctx.hostStdErr(),
  ContainerStdOut: () => new ContainerStdOut(),
  ContainerStdErr: () => new ContainerStdErr(),
  ChunkedTransferEncodingStream: (a) => {
    const url = a.string('url');
    const raw = a.raw('headers');
    const headers: Record<string, string> = {};
    if (raw !== null && raw !== undefined) {
      if (!isPyDict(raw)) expected(a.at('headers'), 'a dict of header strings', raw);
      for (const [key, value] of Object.entries(raw)) {
        headers[key] =
          typeof value === 'string' ? value : expected(a.at('headers'), 'string header values', value);
      }
    }
    return build(a.path, () => new ChunkedTransferEncodingStream(url, headers));
  },
};

const girderClasses: Record<string, ClassMapper> = {
  ProgressPipe: (a, ctx) => {
    const name = a.string('name');
    const volume = volumeOf(a, ctx);
    return build(a.path, () => new ProgressPipe(name, { volume }));
  },
  GirderFileIdToStream: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const id = a.string('file_id');
    return withClient(
      build(a.path, () => new GirderFileIdToStream(id)),
      client,
    );
  },
  GirderFileIdToVolume: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const id = a.string('_file_id');
    const volume = downloadVolume(a, ctx);
    const filename = a.optionalString('_filename');
    a.ignore('_file_path');
    return withClient(
      build(
        a.path,
        () => new GirderFileIdToVolume(id, { volume, ...(filename === undefined ? {} : { filename }) }),
      ),
      client,
    );
  },
  GirderItemIdToVolume: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const id = a.string('_item_id');
    const volume = downloadVolume(a, ctx);
    a.ignore('_item_path');
    return withClient(
      build(a.path, () => new GirderItemIdToVolume(id, { volume })),
      client,
    );
  },
  GirderFolderIdToVolume: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const id = a.string('_folder_id');
    const volume = downloadVolume(a, ctx);
    const folderName = a.optionalString('_folder_name');
    a.ignore('_folder_path');
    return withClient(
      build(
        a.path,
        () => new GirderFolderIdToVolume(id, { volume, ...(folderName === undefined ? {} : { folderName }) }),
      ),
      client,
    );
  },
  GirderUploadVolumePathToItem: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const volumePath = volumePathOf(a, ctx);
    const itemId = a.string('item_id');
    const deleteFile = a.boolean('delete_file', false);
    a.emptyDict('upload_kwargs', 'upload_kwargs are not supported yet');
    a.ignore('job', 'output_file_path');
    return withClient(
      build(a.path, () => new GirderUploadVolumePathToItem(volumePath, itemId, { deleteFile })),
      client,
    );
  },
  GirderUploadVolumePathToFolder: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const volumePath = volumePathOf(a, ctx);
    const folderId = a.string('folder_id');
    const deleteFile = a.boolean('delete_file', false);
    const mustExist = a.boolean('must_exist', true);
    a.emptyDict('upload_kwargs', 'upload_kwargs are not supported yet');
    a.ignore('job', 'output_file_path');
    const hook = build(
      a.path,
      () => new GirderUploadVolumePathToFolder(volumePath, folderId, { deleteFile }),
    );
    return mustExist && !client
      ? hook
      : new WithGirderClientHook(hook, { client, skipWhenMissing: mustExist ? undefined : volumePath });
  },
  GirderUploadVolumePathJobArtifact: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const volumePath = volumePathOf(a, ctx);
    let jobId = a.optionalString('job_id');
    const job = a.raw('job');
    if (jobId === undefined && isPyDict(job) && job._id instanceof PyObjectId) jobId = job._id.hex;
    const name = a.optionalString('name');
    const uploadOnException = a.boolean('_upload_on_exception', false);
    return withClient(
      build(
        a.path,
        () =>
          new GirderUploadVolumePathJobArtifact(volumePath, {
            ...(jobId === undefined ? {} : { jobId }),
            ...(name === undefined ? {} : { name }),
            uploadOnException,
          }),
      ),
      client,
    );
  },
};

/** girder_io transforms that download to the worker's host: in docker_run they land in the run's volume. */
const utilsClasses: Record<string, ClassMapper> = {
  GirderFileId: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const id = a.string('file_id');
    a.ignore('file_path');
    return withClient(
      build(a.path, () => new GirderFileIdToVolume(id)),
      client,
    );
  },
  GirderItemId: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const id = a.string('item_id');
    a.ignore('item_path');
    return withClient(
      build(a.path, () => new GirderItemIdToVolume(id)),
      client,
    );
  },
};

/**
 * The contrib girder_io transform: always downloaded into the run's volume (a direct host path is
 * never handed to a container), keeping the file's extension as girder_worker does.
 */
const contribClasses: Record<string, ClassMapper> = {
  GirderFileIdAllowDirect: (a, ctx) => {
    const client = ctx.girderClient(a.raw('gc'), a.at('gc'));
    const id = a.string('file_id');
    const name = a.optionalString('file_name') ?? '';
    a.ignore('local_file_path', 'file_path', 'temp_dir_path');
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && !name.slice(dot).includes('/') ? name.slice(dot) : '';
    return withClient(
      build(a.path, () => new GirderFileIdToVolume(id, { filename: `${id}${extension}` })),
      client,
    );
  },
};

/** girder_io classes that are known but have no meaning in docker_run (their input would be None). */
const unsupportedUtils: Record<string, string> = {
  GirderItemMetadata: "it would set the metadata to docker_run's result, None",
  GirderUploadToItem: 'it needs a path as the task result; use GirderUploadVolumePathToItem',
  GirderUploadToFolder: 'it needs a path as the task result; use GirderUploadVolumePathToFolder',
  GirderUploadJobArtifact: 'it needs a path as the task result; use GirderUploadVolumePathJobArtifact',
};

function unsupported(reason: string): ClassMapper {
  return (a) => {
    throw new MappingError(a.path, `this class is not supported in docker_run: ${reason}`);
  };
}

function table(): ReadonlyMap<string, ClassMapper> {
  const entries: [string, ClassMapper][] = [];
  for (const [name, mapper] of Object.entries(dockerClasses))
    entries.push([`${DOCKER_TRANSFORMS}.${name}`, mapper]);
  for (const [name, mapper] of Object.entries(girderClasses))
    entries.push([`${GIRDER_TRANSFORMS}.${name}`, mapper]);
  for (const module of UTILS_GIRDER_IO) {
    for (const [name, mapper] of Object.entries(utilsClasses)) entries.push([`${module}.${name}`, mapper]);
    const contrib = module.replace(/\.girder_io$/, '.contrib.girder_io');
    for (const [name, mapper] of Object.entries(contribClasses)) entries.push([`${contrib}.${name}`, mapper]);
    for (const [name, reason] of Object.entries(unsupportedUtils))
      entries.push([`${module}.${name}`, unsupported(reason)]);
  }
  entries.push([
    'girder_client.GirderClient',
    unsupported('a GirderClient is only understood as the gc attribute of a Girder transform'),
  ]);
  return new Map(entries);
}

/**
 * The explicit table of girder_worker classes this worker maps, by fully qualified Python name.
 * Nothing else in a message is ever turned into an object.
 */
export const CLASS_TABLE: ReadonlyMap<string, ClassMapper> = table();
