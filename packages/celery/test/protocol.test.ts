import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
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
  buildDockerRunMessage,
  DOCKER_RUN_TASK,
  isCeleryProtocolError,
  type RawCeleryMessage,
} from '../src/index.ts';
import { mapDockerRun } from '../src/mapping/map-docker-run.ts';
import { parseCeleryTask } from '../src/protocol/parse-message.ts';
import { amqpMessage, CASES, redisMessage } from './fixture-messages.ts';

const FILE = '5f0c1e2d3c4b5a6978877665';
const ITEM = '5f0c0a0b0c0d0e0f10111213';
const FOLDER = '5f0c2a2b2c2d2e2f30313233';
const gc = { apiUrl: 'http://localhost:8080/api/v1', token: 'T' };

/** The body JSON with every token replaced, so per-transform Girder tokens compare equal. */
function bodyShape(message: RawCeleryMessage): unknown {
  return JSON.parse(message.body.toString('utf8'), (key, value) => (key === 'token' ? 'T' : value));
}

function hookShape(message: RawCeleryMessage): unknown {
  return JSON.parse(JSON.stringify(message.headers.girder_result_hooks ?? []), (key, value) =>
    key === 'token' ? 'T' : value,
  );
}

const girderHeaders = (m: RawCeleryMessage) => ({
  jobInfoSpec: m.headers.jobInfoSpec as never,
  girderApiUrl: m.headers.girder_api_url as string,
  girderClientToken: m.headers.girder_client_token as string,
});

describe('parseCeleryTask', () => {
  it.each(CASES)('reads %s from both brokers', (name) => {
    for (const message of [redisMessage(name), amqpMessage(name)]) {
      const task = parseCeleryTask(message);
      expect(task.id).toBe(message.properties.correlationId);
      expect(task.task).toBe(DOCKER_RUN_TASK);
      expect(task.args).toEqual(['my/image']);
      expect(task.timelimit).toEqual({});
      expect(task.jobInfoSpec).toEqual({
        method: 'PUT',
        url: 'http://localhost:8080/api/v1/job/65f0a1b2c3d4e5f601234567',
        reference: '65f0a1b2c3d4e5f601234567',
        headers: { 'Girder-Token': expect.stringMatching(/^FAKEjobToken/) },
        logPrint: true,
      });
      expect(task.girderApiUrl).toBe('http://localhost:8080/api/v1');
      expect(task.girderClientToken).toMatch(/^FAKEclientToken/);
      expect(task.girderResultHooks).toHaveLength(name.startsWith('04') ? 1 : 0);
    }
  });

  it('accepts args as a plain list, and a timelimit', () => {
    const message = {
      ...redisMessage('01-plain'),
      headers: { ...redisMessage('01-plain').headers, timelimit: [60, 30] },
      body: Buffer.from(JSON.stringify([['img'], { container_args: ['ls'] }, {}])),
    };
    const task = parseCeleryTask(message);
    expect(task.args).toEqual(['img']);
    expect(task.timelimit).toEqual({ hardSeconds: 60, softSeconds: 30 });
  });

  it('refuses what is not a Celery v2 docker_run message, naming the field', () => {
    const base = redisMessage('01-plain');
    const cases: [RawCeleryMessage, RegExp][] = [
      [{ ...base, contentType: 'application/x-python-serialize' }, /contentType: expected application\/json/],
      [{ ...base, body: Buffer.from('{"py/tuple": [1, 2]}') }, /body: expected the Celery protocol v2 body/],
      [{ ...base, headers: { ...base.headers, timelimit: 'x' } }, /headers\.timelimit/],
      [
        { ...base, headers: { ...base.headers, jobInfoSpec: { url: 'ftp://x' } } },
        /headers\.jobInfoSpec\.url/,
      ],
      [{ ...base, body: Buffer.from([0xff, 0xfe]) }, /body: expected UTF-8/],
    ];
    for (const [message, pattern] of cases) {
      let error: unknown;
      try {
        parseCeleryTask(message);
      } catch (e) {
        error = e;
      }
      expect(String(error)).toMatch(pattern);
      expect(isCeleryProtocolError(error)).toBe(true);
    }
  });
});

describe('buildDockerRunMessage', () => {
  it('01–03: builds the same body as girder_worker, py/id included', () => {
    const plain = buildDockerRunMessage({
      image: 'my/image',
      pullImage: false,
      containerArgs: ['echo', 'hi'],
      removeContainer: true,
    });
    expect(bodyShape(plain)).toEqual(bodyShape(redisMessage('01-plain')));

    const dict = buildDockerRunMessage({
      image: 'my/image',
      pullImage: false,
      containerArgs: ['cat', '/mnt/input/data.csv'],
      volumes: {
        '/srv/data/input': { bind: '/mnt/input', mode: 'ro' },
        '/srv/data/scratch': { bind: '/mnt/scratch', mode: 'rw' },
      },
      removeContainer: true,
    });
    expect(bodyShape(dict)).toEqual(bodyShape(redisMessage('02-volumes-dict')));

    const vol = new BindMountVolume('/srv/data/shared', '/mnt/shared');
    const shared = buildDockerRunMessage({
      image: 'my/image',
      pullImage: false,
      containerArgs: ['--input', new VolumePath('input.txt', vol), '--workdir', vol],
      volumes: [vol],
      removeContainer: true,
    });
    expect(bodyShape(shared)).toEqual(bodyShape(redisMessage('03-bindmount-volumepath')));
  });

  it('04–07: Girder transforms, pipes and hooks pickle to the captured shape', () => {
    const m04 = redisMessage('04-tempvolume-upload-to-item');
    const out = new VolumePath('out.txt');
    const built04 = buildDockerRunMessage({
      image: 'my/image',
      pullImage: false,
      containerArgs: ['--tmp', TemporaryVolume.default, '--output', out],
      removeContainer: true,
      resultHooks: [new GirderUploadVolumePathToItem(out, ITEM)],
      girderClient: gc,
      ...girderHeaders(m04),
    });
    expect(bodyShape(built04)).toEqual(bodyShape(m04));
    expect(hookShape(built04)).toEqual(hookShape(m04));

    const built05 = buildDockerRunMessage({
      image: 'my/image',
      pullImage: false,
      containerArgs: [
        '--out',
        new Connect(new NamedOutputPipe('out'), new HostStdOut()),
        '--in',
        new Connect(new GirderFileIdToStream(FILE), new NamedInputPipe('in')),
      ],
      removeContainer: true,
      girderClient: gc,
    });
    expect(bodyShape(built05)).toEqual(bodyShape(redisMessage('05-connect-pipes')));

    const built06 = buildDockerRunMessage({
      image: 'my/image',
      pullImage: false,
      containerArgs: [
        '--file',
        new GirderFileIdToVolume(FILE, { filename: 'x.tif' }),
        '--item',
        new GirderItemIdToVolume(ITEM),
        '--folder',
        new GirderFolderIdToVolume(FOLDER),
      ],
      removeContainer: true,
      girderClient: gc,
    });
    expect(bodyShape(built06)).toEqual(bodyShape(redisMessage('06-girder-to-volume')));

    const built07 = buildDockerRunMessage({
      image: 'my/image',
      pullImage: false,
      containerArgs: [
        '--progress',
        new ProgressPipe(),
        '--stream',
        new Connect(
          new NamedOutputPipe('stream_out'),
          new ChunkedTransferEncodingStream('http://localhost:9000/sink', { 'Girder-Token': 'SECRET' }),
        ),
      ],
      removeContainer: true,
    });
    expect(bodyShape(built07)).toEqual(bodyShape(redisMessage('07-progress-chunked-stream')));
  });

  it('carries Celery v2 headers with the Girder ones; the body decodes and maps back', () => {
    const m04 = redisMessage('04-tempvolume-upload-to-item');
    const message = buildDockerRunMessage({
      image: 'my/image',
      containerArgs: ['echo', 'hi'],
      environment: { SECRET: 'hunter2' },
      taskId: 'a4b0c1d2-0000-4000-8000-000000000000',
      timelimit: [60, null],
      ...girderHeaders(m04),
    });
    const expectedKeys = Object.keys(redisMessage('01-plain').headers);
    expect(Object.keys(message.headers)).toEqual(expectedKeys);
    expect(message.headers).toMatchObject({
      lang: 'py',
      task: DOCKER_RUN_TASK,
      id: 'a4b0c1d2-0000-4000-8000-000000000000',
      root_id: 'a4b0c1d2-0000-4000-8000-000000000000',
      timelimit: [60, null],
      argsrepr: "('my/image',)",
    });
    expect(String(message.headers.kwargsrepr)).not.toContain('hunter2');
    const task = parseCeleryTask(message);
    expect(task.args[0]).toBe('my/image');
    expect(task.timelimit).toEqual({ hardSeconds: 60 });
    const run = mapDockerRun(
      { args: task.args, kwargs: task.kwargs, hooks: task.girderResultHooks },
      { girderClient: (s) => new GirderClient({ apiUrl: s.apiUrl }) },
    );
    expect([run.image, run.containerArgs, run.environment]).toEqual([
      'my/image',
      ['echo', 'hi'],
      { SECRET: 'hunter2' },
    ]);
  });

  it('keeps identity through build → parse → map (one volume object)', () => {
    const vol = new BindMountVolume('/srv/x', '/mnt/x', 'ro');
    const task = parseCeleryTask(
      buildDockerRunMessage({ image: 'i', containerArgs: [new VolumePath('a', vol), vol], volumes: [vol] }),
    );
    expect(task.args).toEqual(['i']);
    const run = mapDockerRun(
      { args: task.args, kwargs: task.kwargs, hooks: [] },
      { girderClient: (s) => new GirderClient({ apiUrl: s.apiUrl }) },
    );
    const args = run.containerArgs as unknown[];
    expect((args[0] as VolumePath).volume).toBe(args[1]);
    expect(run.volumes[0]).toBe(args[1]);
  });
});
