import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
} from '@girder-worker/girder';
import { GirderClient } from '@girder-worker/girder-client';
import {
  ChunkedTransferEncodingStream,
  Connect,
  HostStdOut,
  NamedInputPipe,
  NamedOutputPipe,
  ProgressPipe,
} from '@girder-worker/pipes';
import { BindMountVolume, TemporaryVolume, VolumePath } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import {
  isMappingError,
  isUnknownClassError,
  isUnknownKwargError,
  type PyDict,
  type PyValue,
} from '../src/index.ts';
import { type MapDockerRunOptions, mapDockerRun } from '../src/mapping/map-docker-run.ts';
import type { GirderClientSpec } from '../src/mapping/map-value.ts';
import { WithGirderClient, WithGirderClientHook } from '../src/mapping/with-girder-client.ts';
import { type CeleryTask, parseCeleryTask } from '../src/protocol/parse-message.ts';
import { amqpMessage, CASES, redisMessage } from './fixture-messages.ts';

function options(
  extra: Partial<MapDockerRunOptions> = {},
): MapDockerRunOptions & { specs: GirderClientSpec[] } {
  const specs: GirderClientSpec[] = [];
  return {
    specs,
    girderClient: (spec) => {
      specs.push(spec);
      return new GirderClient({ apiUrl: spec.apiUrl, ...(spec.token ? { token: spec.token } : {}) });
    },
    ...extra,
  };
}

function call(task: CeleryTask): { args: PyValue[]; kwargs: PyDict; hooks: PyValue[] } {
  return { args: task.args, kwargs: task.kwargs, hooks: task.girderResultHooks };
}

function mapCase(name: string, extra: Partial<MapDockerRunOptions> = {}) {
  const o = options(extra);
  return { run: mapDockerRun(call(parseCeleryTask(redisMessage(name))), o), specs: o.specs };
}

function body(kwargs: Record<string, unknown>, args: unknown[] = ['my/image']): Buffer {
  return Buffer.from(
    JSON.stringify({
      'py/tuple': [
        { 'py/tuple': args },
        kwargs,
        { callbacks: null, errbacks: null, chain: null, chord: null },
      ],
    }),
  );
}

function mapBody(kwargs: Record<string, unknown>, extra: Partial<MapDockerRunOptions> = {}) {
  const message = { ...redisMessage('01-plain'), body: body(kwargs) };
  return mapDockerRun(call(parseCeleryTask(message)), options(extra));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('mapping the captured messages', () => {
  it.each(CASES)('maps every value of %s on both brokers', (name) => {
    for (const message of [redisMessage(name), amqpMessage(name)]) {
      const run = mapDockerRun(call(parseCeleryTask(message)), options());
      expect(run.image).toBe('my/image');
      expect(run.pullImage).toBe(false);
      expect(run.removeContainer).toBe(true);
    }
  });

  it('01: plain arguments', () => {
    expect(mapCase('01-plain').run.containerArgs).toEqual(['echo', 'hi']);
  });

  it('02: a docker-py volumes dict becomes two bind mounts with their modes', () => {
    const { run } = mapCase('02-volumes-dict');
    expect(run.volumes.map((v) => [v.hostPath, v.containerPath, v.mode])).toEqual([
      ['/srv/data/input', '/mnt/input', 'ro'],
      ['/srv/data/scratch', '/mnt/scratch', 'rw'],
    ]);
  });

  it('03: one BindMountVolume shared by VolumePath, container_args and volumes stays one object', () => {
    const { run } = mapCase('03-bindmount-volumepath');
    const args = run.containerArgs as unknown[];
    const path = args[1] as VolumePath;
    expect(path).toBeInstanceOf(VolumePath);
    expect(path.volume).toBeInstanceOf(BindMountVolume);
    expect(args[3]).toBe(path.volume);
    expect(run.volumes[0]).toBe(path.volume);
  });

  it('04: _DefaultTemporaryVolume is the run default volume; the upload hook keeps its own client', () => {
    const { run, specs } = mapCase('04-tempvolume-upload-to-item');
    const args = run.containerArgs as unknown[];
    expect(args[1]).toBe(TemporaryVolume.default);
    expect((args[3] as VolumePath).volume).toBe(TemporaryVolume.default);
    const hook = run.resultHooks[0] as WithGirderClientHook;
    expect(hook).toBeInstanceOf(WithGirderClientHook);
    expect(hook.inner).toBeInstanceOf(GirderUploadVolumePathToItem);
    expect((hook.inner as GirderUploadVolumePathToItem).itemId).toBe('5f0c0a0b0c0d0e0f10111213');
    expect(specs).toEqual([
      { apiUrl: 'http://localhost:8080/api/v1', token: expect.stringMatching(/^FAKEgcTokenUploadToItem0+$/) },
    ]);
  });

  it('05: Connect pipes: output pipe to HostStdOut (as the run decides), Girder stream into an input pipe', () => {
    const marker = new HostStdOut();
    const { run } = mapCase('05-connect-pipes', { hostStdOut: () => marker });
    const args = run.containerArgs as Connect[];
    expect(args[1]).toBeInstanceOf(Connect);
    expect(args[1]?.input).toBeInstanceOf(NamedOutputPipe);
    expect(args[1]?.output).toBe(marker);
    expect(args[3]?.input).toBeInstanceOf(WithGirderClient);
    expect(((args[3] as Connect).input as WithGirderClient).inner).toBeInstanceOf(GirderFileIdToStream);
    expect(args[3]?.output).toBeInstanceOf(NamedInputPipe);
    expect(((args[3] as Connect).output as NamedInputPipe).name).toBe('in');
  });

  it('06: Girder downloads to the default volume, each with the client its gc names', () => {
    const { run, specs } = mapCase('06-girder-to-volume');
    const args = run.containerArgs as WithGirderClient[];
    const file = args[1]?.inner as GirderFileIdToVolume;
    expect(file).toBeInstanceOf(GirderFileIdToVolume);
    expect([file.fileId, file.filename, file.volume]).toEqual([
      '5f0c1e2d3c4b5a6978877665',
      'x.tif',
      TemporaryVolume.default,
    ]);
    expect(args[3]?.inner).toBeInstanceOf(GirderItemIdToVolume);
    expect(args[5]?.inner).toBeInstanceOf(GirderFolderIdToVolume);
    expect(specs.map((s) => s.token?.replace(/0+$/, ''))).toEqual([
      'FAKEgcTokenFileIdToVolume',
      'FAKEgcTokenItemIdToVolume',
      'FAKEgcTokenFolderIdToVolume',
    ]);
  });

  it('07: ProgressPipe and a chunked stream keep their name, URL and headers', () => {
    const { run } = mapCase('07-progress-chunked-stream');
    const args = run.containerArgs as unknown[];
    expect(args[1]).toBeInstanceOf(ProgressPipe);
    expect((args[1] as ProgressPipe).pipe.name).toBe('.girder_progress');
    const sink = (args[3] as Connect).output as ChunkedTransferEncodingStream;
    expect(sink).toBeInstanceOf(ChunkedTransferEncodingStream);
    expect([sink.url, sink.headers]).toEqual(['http://localhost:9000/sink', { 'Girder-Token': 'SECRET' }]);
  });
});

describe('docker-py keyword arguments', () => {
  it('maps case 08 shape: entrypoint, shm_size, device_requests, network_mode, environment', () => {
    const run = mapBody({
      pull_image: false,
      entrypoint: ['sh', '-c'],
      shm_size: '1g',
      device_requests: [
        {
          'py/object': 'docker.types.containers.DeviceRequest',
          Driver: '',
          Count: -1,
          DeviceIDs: [],
          Capabilities: [['gpu']],
          Options: {},
          __dict__: {},
        },
      ],
      network_mode: 'host',
      environment: { A: '1', B: 2, C: true },
      container_args: ['echo', true, null, 1.5],
      working_dir: '/tmp',
      user: 1000,
      runtime: 'runc',
      mem_limit: '512m',
      labels: { team: 'x' },
      tty: false,
      detach: true,
    });
    expect(run.entrypoint).toEqual(['sh', '-c']);
    expect(run.environment).toEqual({ A: '1', B: '2', C: 'True' });
    expect(run.containerArgs).toEqual(['echo', 'True', 'None', '1.5']);
    expect([run.workingDir, run.user]).toEqual(['/tmp', '1000']);
    expect(run.createOptions).toEqual({
      Labels: { team: 'x' },
      HostConfig: {
        ShmSize: 1024 ** 3,
        DeviceRequests: [{ Driver: '', Count: -1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} }],
        NetworkMode: 'host',
        Runtime: 'runc',
        Memory: 512 * 1024 ** 2,
      },
    });
    expect(run.ignored).toEqual(['tty', 'detach']);
  });

  it('maps resource, device and host settings to their Engine API names', () => {
    const run = mapBody({
      network_disabled: true,
      mac_address: '02:42:ac:11:00:02',
      stop_timeout: 5,
      cpu_rt_period: 1000,
      mem_swappiness: 0,
      oom_score_adj: 100,
      blkio_weight: 300,
      storage_opt: { size: '1G' },
      device_cgroup_rules: ['c 1:3 mr'],
      devices: ['/dev/fuse', '/dev/sda:/dev/xvda:r'],
      ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
      log_config: { type: 'json-file', config: { 'max-size': '1m' } },
      extra_hosts: { girder: '127.0.0.1' },
      tmpfs: ['/run:size=1m', '/cache'],
      memswap_limit: -1,
      nano_cpus: 500000000,
    });
    expect(run.createOptions).toEqual({
      NetworkDisabled: true,
      MacAddress: '02:42:ac:11:00:02',
      StopTimeout: 5,
      HostConfig: {
        CpuRealtimePeriod: 1000,
        MemorySwappiness: 0,
        OomScoreAdj: 100,
        BlkioWeight: 300,
        StorageOpt: { size: '1G' },
        DeviceCgroupRules: ['c 1:3 mr'],
        Devices: [
          { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
          { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' },
        ],
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
        ExtraHosts: ['girder:127.0.0.1'],
        Tmpfs: { '/run': 'size=1m', '/cache': '' },
        MemorySwap: -1,
        NanoCpus: 500000000,
      },
    });
  });

  it('takes device_requests as docker-py keyword dicts too, and refuses unknown fields', () => {
    const run = mapBody({
      device_requests: [{ count: 2, capabilities: [['gpu', 'utility']], driver: 'nvidia' }],
    });
    expect(run.createOptions.HostConfig.DeviceRequests).toEqual([
      { Driver: 'nvidia', Count: 2, Capabilities: [['gpu', 'utility']] },
    ]);
    expect(() => mapBody({ device_requests: [{ gpus: 1 }] })).toThrow(
      /kwargs\.device_requests\[0\]\.gpus: unknown DeviceRequest field 'gpus'/,
    );
  });

  it('refuses an unknown keyword argument, naming it', () => {
    const error = thrown(() => mapBody({ ports: { '80/tcp': 8080 } }));
    expect(isUnknownKwargError(error)).toBe(true);
    expect(String(error)).toMatch(/kwargs\.ports: the docker_run keyword argument 'ports' is not supported/);
  });

  it('refuses a value of the wrong type, naming the field', () => {
    expect(() => mapBody({ shm_size: 'lots' })).toThrow(/kwargs\.shm_size: expected a byte count/);
    expect(() => mapBody({ pull_image: 'yes' })).toThrow(
      /kwargs\.pull_image: expected true, false, "always", "if-not-present" or "never"/,
    );
  });

  it("takes slicer_cli_web's pull policies as well as booleans", () => {
    expect(mapBody({ pull_image: 'if-not-present' }).pullImage).toBe('if-not-present');
    expect(mapBody({ pull_image: 'never' }).pullImage).toBe('never');
    expect(mapBody({ pull_image: true }).pullImage).toBe(true);
  });

  it('honours GIRDER_WORKER_DOCKER_RUN_OPTIONS passed in: defaults, read-only volumes, message wins', () => {
    const run = mapBody(
      { network_mode: 'none', volumes: { '/srv/a': { bind: '/mnt/a', mode: 'rw' } } },
      {
        dockerRunOptionsJson: JSON.stringify({
          network_mode: 'host',
          mem_limit: '1k',
          volumes: ['/srv/b:/mnt/b'],
        }),
      },
    );
    expect(run.createOptions.HostConfig).toEqual({ NetworkMode: 'none', Memory: 1024 });
    expect(run.volumes.map((v) => `${v.hostPath}:${v.containerPath}:${v.mode}`)).toEqual([
      '/srv/b:/mnt/b:ro',
      '/srv/a:/mnt/a:rw',
    ]);
    const unknown = thrown(() => mapBody({}, { dockerRunOptionsJson: '{"stdin_open": true}' }));
    expect(isUnknownKwargError(unknown)).toBe(true);
    expect(String(unknown)).toMatch(/GIRDER_WORKER_DOCKER_RUN_OPTIONS\.stdin_open/);
    expect(() => mapBody({}, { dockerRunOptionsJson: '{"image": "x"}' })).toThrow(/docker_run parameter/);
  });

  it('takes positional arguments in docker_run order and refuses a duplicate', () => {
    const message = { ...redisMessage('01-plain'), body: body({}, ['img', false, null, ['ls']]) };
    const run = mapDockerRun(call(parseCeleryTask(message)), options());
    expect([run.image, run.pullImage, run.containerArgs]).toEqual(['img', false, ['ls']]);
    const dup = { ...redisMessage('01-plain'), body: body({ image: 'x' }) };
    expect(() => mapDockerRun(call(parseCeleryTask(dup)), options())).toThrow(/multiple values for 'image'/);
  });
});

describe('classes', () => {
  it('refuses a class outside the table, naming the class and the JSON path', () => {
    const error = thrown(() =>
      mapBody({ container_args: ['x', { 'py/object': 'os.system', cmd: 'rm -rf /' }] }),
    );
    expect(isUnknownClassError(error)).toBe(true);
    expect(error).toMatchObject({ className: 'os.system', path: 'kwargs.container_args[1]' });
  });

  it('refuses an attribute the worker does not know', () => {
    const error = thrown(() =>
      mapBody({
        container_args: [
          { 'py/object': 'girder_worker.docker.transforms.VolumePath', filename: 'a', evil: 1 },
        ],
      }),
    );
    expect(isMappingError(error)).toBe(true);
    expect(String(error)).toMatch(/kwargs\.container_args\[0\]\.evil: unknown attribute 'evil'/);
  });

  it('accepts the Girder 5 names under girder_worker.utils and girder_worker_utils', () => {
    for (const module of [
      'girder_worker.utils.transforms.girder_io',
      'girder_worker_utils.transforms.girder_io',
    ]) {
      const run = mapBody({
        container_args: [
          { 'py/object': `${module}.GirderFileId`, gc: null, file_id: '5f0c1e2d3c4b5a6978877665' },
        ],
      });
      expect((run.containerArgs as unknown[])[0]).toBeInstanceOf(GirderFileIdToVolume);
    }
    expect(() =>
      mapBody({
        container_args: [{ 'py/object': 'girder_worker_utils.transforms.girder_io.GirderUploadToItem' }],
      }),
    ).toThrow(/not supported in docker_run/);
  });

  it('maps job artifact and folder hooks, the job id from the pickled job document', () => {
    const message = {
      ...redisMessage('01-plain'),
      headers: {
        ...redisMessage('01-plain').headers,
        girder_result_hooks: [
          {
            'py/object': 'girder_worker.docker.transforms.girder.GirderUploadVolumePathJobArtifact',
            gc: null,
            job_id: null,
            name: null,
            _volumepath: {
              'py/object': 'girder_worker.docker.transforms.VolumePath',
              filename: 'a',
              _volume: null,
            },
            _upload_on_exception: true,
            job: {
              _id: { 'py/object': 'bson.objectid.ObjectId', 'py/state': { 'py/b64': 'ZfChssPU5fYBI0Vn' } },
            },
          },
          {
            'py/object': 'girder_worker.docker.transforms.girder.GirderUploadVolumePathToFolder',
            gc: null,
            folder_id: '5f0c2a2b2c2d2e2f30313233',
            upload_kwargs: {},
            delete_file: false,
            must_exist: false,
            _volumepath: {
              'py/object': 'girder_worker.docker.transforms.VolumePath',
              filename: 'b',
              _volume: null,
            },
          },
        ],
      },
    };
    const run = mapDockerRun(call(parseCeleryTask(message)), options());
    const artifact = run.resultHooks[0] as GirderUploadVolumePathJobArtifact;
    expect(artifact).toBeInstanceOf(GirderUploadVolumePathJobArtifact);
    expect([artifact.jobId, artifact.uploadOnException]).toEqual(['65f0a1b2c3d4e5f601234567', true]);
    const folder = run.resultHooks[1] as WithGirderClientHook;
    expect(folder.inner).toBeInstanceOf(GirderUploadVolumePathToFolder);
  });
});
