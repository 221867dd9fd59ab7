import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderUploadVolumePathToItem,
  JobStatus,
} from '@girder-worker/girder';
import { type GirderTestServer, type JobDoc, startGirderTestServer } from '@girder-worker/girder-test-server';
import { Connect, HostStdOut, NamedInputPipe, NamedOutputPipe, ProgressPipe } from '@girder-worker/pipes';
import { assertNoLeaks, listLabelledContainers, TEST_IMAGE, waitFor } from '@girder-worker/test-helpers';
import { type Logger, TemporaryVolume, VolumePath } from '@girder-worker/transforms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BuildDockerRunOptions,
  buildDockerRunMessage,
  createDockerRunHandler,
  type JobInfoSpec,
  type RawCeleryMessage,
  type TaskContext,
  type TaskHandler,
  TaskRevokedError,
} from '../src/index.ts';
import { amqpMessage, CASES, redisMessage, withHeaders } from './fixture-messages.ts';

let girder: GirderTestServer;
let logged: { level: string; message: string; context: unknown }[];
let handler: TaskHandler;

function recordingLogger(): Logger {
  const at =
    (level: string) =>
    (message: string, context?: unknown): void => {
      logged.push({ level, message, context });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

beforeEach(async () => {
  girder = await startGirderTestServer({ minimumChunkSize: 1024, checksums: false });
  logged = [];
  handler = createDockerRunHandler({
    logger: recordingLogger(),
    cancelPollIntervalMs: 100,
    logFlushIntervalMs: 20,
    stopGraceMs: 500,
  });
});

afterEach(async () => {
  await girder.close();
  await assertNoLeaks();
});

function newJob(): { job: JobDoc; spec: JobInfoSpec } {
  const { job } = girder.createJob({ title: 'docker_run', type: 'celery' });
  return { job, spec: job.jobInfoSpec as JobInfoSpec };
}

function jobLog(id: string): string {
  return girder.getJob(id).log.join('');
}

function statuses(id: string): (number | string)[] {
  return girder.getJob(id).timestamps.map((t) => t.status);
}

function context(taskId: string, signal = new AbortController().signal): TaskContext {
  return { taskId, signal };
}

function message(
  spec: JobInfoSpec | undefined,
  options: Omit<BuildDockerRunOptions, 'image'>,
): RawCeleryMessage {
  return buildDockerRunMessage({
    image: TEST_IMAGE,
    pullImage: false,
    ...(spec ? { jobInfoSpec: spec } : {}),
    girderApiUrl: girder.apiUrl,
    girderClientToken: girder.admin.token,
    girderClient: { apiUrl: girder.apiUrl, token: girder.admin.token },
    ...options,
  });
}

async function run(m: RawCeleryMessage, signal?: AbortSignal) {
  return handler(m, context(String(m.headers.id), signal));
}

describe('replaying the captured messages (image my/image is absent)', () => {
  it.each(CASES)('%s decodes, maps and ends ERROR on its job, on both brokers', async (name) => {
    for (const captured of [redisMessage(name), amqpMessage(name)]) {
      const { job, spec } = newJob();
      const outcome = await handler(
        withHeaders(captured, { jobInfoSpec: spec }),
        context(String(captured.headers.id)),
      );
      expect(outcome).toEqual({
        status: 'FAILURE',
        error: { type: 'ImageNotFound', message: expect.stringContaining("image 'my/image' is not present") },
      });
      expect(girder.getJob(job._id).status).toBe(JobStatus.ERROR);
      expect(statuses(job._id)).toEqual([JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.ERROR]);
      expect(jobLog(job._id)).toMatch(
        /^ImageNotFound: image 'my\/image' is not present .*pull_image is False.*\n$/,
      );
    }
    expect(await listLabelledContainers(process.env.GW_WORKER_ID)).toEqual([]);
  });
});

describe('docker_run end to end', () => {
  it('runs echo: RUNNING then SUCCESS, the job log is the output byte for byte', async () => {
    const { job, spec } = newJob();
    const outcome = await run(
      message(spec, { containerArgs: ['sh', '-c', 'echo hello; printf "no newline é"'] }),
    );
    expect(outcome).toEqual({ status: 'SUCCESS', result: [] });
    expect(statuses(job._id)).toEqual([JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCESS]);
    expect(jobLog(job._id)).toBe('hello\nno newline é');
  });

  it('runs tasks concurrently, each with its own volume and job log', async () => {
    const jobs = [newJob(), newJob(), newJob()];
    const outcomes = await Promise.all(
      jobs.map(({ spec }, i) =>
        run(
          message(spec, {
            containerArgs: [
              'sh',
              '-c',
              `echo ${i} > "$0/mine"; sleep 1; cat "$0/mine"`,
              TemporaryVolume.default,
            ],
          }),
        ),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(jobs.map(({ job }) => jobLog(job._id))).toEqual(['0\n', '1\n', '2\n']);
  });

  it('fails on a non-zero exit with Python text, stderr in the log, and the handler goes on', async () => {
    const { job, spec } = newJob();
    const outcome = await run(message(spec, { containerArgs: ['sh', '-c', 'echo oops >&2; exit 3'] }));
    expect(outcome).toEqual({
      status: 'FAILURE',
      error: { type: 'DockerException', message: 'Non-zero exit code from docker container (3).' },
    });
    expect(girder.getJob(job._id).status).toBe(JobStatus.ERROR);
    expect(jobLog(job._id)).toBe('oops\nDockerException: Non-zero exit code from docker container (3).\n');
  });

  it('sends a named pipe connected to HostStdOut to the job log', async () => {
    const { job, spec } = newJob();
    const pipe = new Connect(new NamedOutputPipe('out'), new HostStdOut());
    const outcome = await run(
      message(spec, { containerArgs: ['sh', '-c', 'echo piped > "$0"; echo direct', pipe] }),
    );
    expect(outcome.status).toBe('SUCCESS');
    const log = jobLog(job._id);
    expect(log).toContain('piped\n');
    expect(log).toContain('direct\n');
  });

  it('gives TemporaryVolume.default as an argument its container path', async () => {
    const { job, spec } = newJob();
    await run(
      message(spec, { containerArgs: ['sh', '-c', 'echo "$0"; test -d "$0"', TemporaryVolume.default] }),
    );
    expect(girder.getJob(job._id).status).toBe(JobStatus.SUCCESS);
    expect(jobLog(job._id)).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\n$/);
  });

  it('makes and removes a TemporaryVolume listed only in volumes, as girder_worker does', async () => {
    const { job, spec } = newJob();
    const scratch = new TemporaryVolume();
    const outcome = await run(
      message(spec, { containerArgs: ['sh', '-c', 'mount | grep -c girder_worker'], volumes: [scratch] }),
    );
    expect(outcome.status).toBe('SUCCESS');
    expect(jobLog(job._id)).toBe('2\n');
  });

  it('uploads a result to an item with the hook, using the pickled client', async () => {
    const { job, spec } = newJob();
    const item = girder.createItem({ folderId: girder.admin.privateFolderId, name: 'results' });
    const out = new VolumePath('out.txt');
    const outcome = await run(
      message(spec, {
        containerArgs: ['sh', '-c', 'echo result > "$0"', out],
        resultHooks: [new GirderUploadVolumePathToItem(out, item._id)],
        // Only the hook's pickled gc carries a valid token: the upload proves it is the one used.
        girderClientToken: 'not-a-valid-token',
      }),
    );
    expect(outcome.status).toBe('SUCCESS');
    const files = girder.listItemFiles(item._id);
    expect(files.map((f) => f.name)).toEqual(['out.txt']);
    expect((await girder.getFileBytes(files[0]?._id ?? '')).toString()).toBe('result\n');
    expect(girder.getJob(job._id).status).toBe(JobStatus.SUCCESS);
  });

  it('downloads a Girder file into the volume, and streams one through a named pipe', async () => {
    const item = girder.createItem({ folderId: girder.admin.privateFolderId, name: 'in' });
    const file = await girder.createFile({ itemId: item._id, name: 'data.txt', data: 'girder bytes\n' });
    const { job, spec } = newJob();
    await run(
      message(spec, {
        containerArgs: [
          'sh',
          '-c',
          'cat "$0"; cat "$1"',
          new GirderFileIdToVolume(file._id),
          new Connect(new GirderFileIdToStream(file._id), new NamedInputPipe('in')),
        ],
      }),
    );
    expect(girder.getJob(job._id).status).toBe(JobStatus.SUCCESS);
    expect(jobLog(job._id)).toBe('girder bytes\ngirder bytes\n');
  });

  it('reports progress from a ProgressPipe', async () => {
    const { job, spec } = newJob();
    await run(
      message(spec, {
        containerArgs: [
          'sh',
          '-c',
          'echo \'{"total": 10, "current": 5, "message": "half"}\' > "$0"',
          new ProgressPipe(),
        ],
      }),
    );
    const done = girder.getJob(job._id);
    expect(done.status).toBe(JobStatus.SUCCESS);
    expect(done.progress).toEqual({ total: 10, current: 5, message: 'half' });
  });

  it('maps docker-py kwargs (entrypoint, environment, working_dir, user, shm_size) and never logs env values', async () => {
    const { job, spec } = newJob();
    const outcome = await run(
      message(spec, {
        entrypoint: ['sh', '-c'],
        containerArgs: ['echo "$A $SECRET_LEN"; pwd; id -u; df -k /dev/shm | tail -1 | awk \'{print $2}\''],
        environment: { A: '1', SECRET_LEN: 'hunter2' },
        workingDir: '/tmp',
        user: '1234',
        dockerKwargs: { shm_size: '8m', network_mode: 'none', labels: { purpose: 'test' } },
      }),
    );
    expect(outcome.status).toBe('SUCCESS');
    expect(jobLog(job._id)).toBe('1 hunter2\n/tmp\n1234\n8192\n');
    expect(JSON.stringify(logged)).not.toContain('hunter2');
  });

  it('fails an unknown kwarg on the job, naming it, before any container', async () => {
    const { job, spec } = newJob();
    const outcome = await run(
      message(spec, { containerArgs: ['true'], dockerKwargs: { ports: { '80/tcp': 80 } } }),
    );
    expect(outcome).toMatchObject({ status: 'FAILURE', error: { type: 'UnknownKwargError' } });
    expect(jobLog(job._id)).toMatch(
      /^UnknownKwargError: kwargs\.ports: the docker_run keyword argument 'ports'/,
    );
    expect(girder.getJob(job._id).status).toBe(JobStatus.ERROR);
  });

  it('fails an unknown class on the job, naming the class and its JSON path', async () => {
    const { job, spec } = newJob();
    const m = message(spec, { containerArgs: ['true'] });
    const body = JSON.stringify({
      'py/tuple': [
        { 'py/tuple': [TEST_IMAGE] },
        {
          pull_image: false,
          container_args: ['run', { 'py/object': 'slicer_cli_web.CustomTransform', x: 1 }],
        },
        { callbacks: null, errbacks: null, chain: null, chord: null },
      ],
    });
    const outcome = await run({ ...m, body: Buffer.from(body) });
    expect(outcome).toMatchObject({ status: 'FAILURE', error: { type: 'UnknownClassError' } });
    expect(jobLog(job._id)).toMatch(
      /^UnknownClassError: kwargs\.container_args\[1\]: unknown class 'slicer_cli_web\.CustomTransform'/,
    );
    expect(girder.getJob(job._id).status).toBe(JobStatus.ERROR);
  });

  it('stops the container and ends CANCELED when the Girder job turns CANCELING', async () => {
    const { job, spec } = newJob();
    const pending = run(message(spec, { containerArgs: ['sh', '-c', 'echo started; sleep 60'] }));
    await waitFor(() => jobLog(job._id).includes('started'), 'the job log to say started', 30_000, 25);
    const cancel = await fetch(`${girder.apiUrl}/job/${job._id}/cancel`, {
      method: 'PUT',
      headers: { 'Girder-Token': girder.admin.token },
    });
    expect(cancel.status).toBe(200);
    expect(await pending).toEqual({ status: 'REVOKED' });
    expect(statuses(job._id)).toEqual([
      JobStatus.QUEUED,
      JobStatus.RUNNING,
      JobStatus.CANCELING,
      JobStatus.CANCELED,
    ]);
  });

  it('stops the container and ends CANCELED when the context signal aborts (revoke)', async () => {
    const { job, spec } = newJob();
    const controller = new AbortController();
    const m = message(spec, { containerArgs: ['sh', '-c', 'echo started; sleep 60'] });
    const pending = run(m, controller.signal);
    await waitFor(() => jobLog(job._id).includes('started'), 'the job log to say started', 30_000, 25);
    controller.abort(new TaskRevokedError(String(m.headers.id), false));
    expect(await pending).toEqual({ status: 'REVOKED' });
    expect(girder.getJob(job._id).status).toBe(JobStatus.CANCELED);
  });

  it('turns the timelimit header into a run time limit', async () => {
    const { job, spec } = newJob();
    const outcome = await run(message(spec, { containerArgs: ['sleep', '60'], timelimit: [1, null] }));
    expect(outcome).toEqual({
      status: 'FAILURE',
      error: { type: 'TimeLimitExceeded', message: 'TimeLimitExceeded(1)' },
    });
    expect(girder.getJob(job._id).status).toBe(JobStatus.ERROR);
    expect(jobLog(job._id)).toBe('TimeLimitExceeded: TimeLimitExceeded(1)\n');
  });

  it('skips a redelivered message whose job is already final, running nothing', async () => {
    const { job, spec } = newJob();
    const m = message(spec, { containerArgs: ['echo', 'again'] });
    expect((await run(m)).status).toBe('SUCCESS');
    const again = await run({ ...m, properties: { ...m.properties, redelivered: true } });
    expect(again).toEqual({ status: 'SKIPPED', reason: expect.stringContaining('already final') });
    expect(jobLog(job._id)).toBe('again\n');
  });

  it('runs a redelivered message again when its job is still RUNNING (the worker died mid-run)', async () => {
    const { job, spec } = newJob();
    await fetch(spec.url, {
      method: 'PUT',
      headers: { ...spec.headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'status=2',
    });
    const m = message(spec, { containerArgs: ['echo', 'resumed'] });
    const outcome = await run({ ...m, properties: { ...m.properties, redelivered: true } });
    expect(outcome.status).toBe('SUCCESS');
    expect(statuses(job._id)).toEqual([JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCESS]);
    expect(jobLog(job._id)).toBe('resumed\n');
  });

  it('ends CANCELED without running when the job is already CANCELING', async () => {
    const { job, spec } = newJob();
    await fetch(`${girder.apiUrl}/job/${job._id}/cancel`, {
      method: 'PUT',
      headers: { 'Girder-Token': girder.admin.token },
    });
    expect(girder.getJob(job._id).status).toBe(JobStatus.CANCELING);
    const outcome = await run(message(spec, { containerArgs: ['echo', 'never'] }));
    expect(outcome).toEqual({ status: 'REVOKED' });
    expect(girder.getJob(job._id).status).toBe(JobStatus.CANCELED);
    expect(jobLog(job._id)).toBe('');
  });

  it('keeps container output out of the job log when jobInfoSpec.logPrint is false', async () => {
    const { job, spec } = newJob();
    const outcome = await run(message({ ...spec, logPrint: false }, { containerArgs: ['echo', 'quiet'] }));
    expect(outcome.status).toBe('SUCCESS');
    expect(girder.getJob(job._id).status).toBe(JobStatus.SUCCESS);
    expect(jobLog(job._id)).toBe('');
    expect(logged).toContainEqual(expect.objectContaining({ level: 'info', message: 'quiet' }));
  });

  it('honours GIRDER_WORKER_DOCKER_RUN_OPTIONS given to the handler (docker-py kwargs)', async () => {
    handler = createDockerRunHandler({
      logger: recordingLogger(),
      logFlushIntervalMs: 20,
      dockerRunOptionsJson: JSON.stringify({ working_dir: '/tmp', environment: { FROM_ENV: 'yes' } }),
    });
    const { job, spec } = newJob();
    await run(message(spec, { containerArgs: ['sh', '-c', 'pwd; echo "[$FROM_ENV]"'] }));
    expect(jobLog(job._id)).toBe('/tmp\n[yes]\n');
  });

  it('never runs a task revoked before it starts, and ends its job CANCELED', async () => {
    const { job, spec } = newJob();
    const controller = new AbortController();
    const m = message(spec, { containerArgs: ['echo', 'never'] });
    controller.abort(new TaskRevokedError(String(m.headers.id), false));
    expect(await run(m, controller.signal)).toEqual({ status: 'REVOKED' });
    expect(statuses(job._id)).toEqual([JobStatus.QUEUED, JobStatus.CANCELED]);
  });

  it('fails a message it cannot read on its job, naming the field, and goes on', async () => {
    const { job, spec } = newJob();
    const m = message(spec, { containerArgs: ['true'] });
    const outcome = await run({
      ...m,
      body: Buffer.from('{"py/tuple": [{"py/tuple": ["x"]}, {"a": {"py/id": 9}}, {}]}'),
    });
    expect(outcome).toMatchObject({ status: 'FAILURE', error: { type: 'JsonPickleError' } });
    expect(jobLog(job._id)).toMatch(/^JsonPickleError: body\[1\]\.a: py\/id 9 refers to no earlier object/);
    expect(girder.getJob(job._id).status).toBe(JobStatus.ERROR);
    const next = await run(message(newJob().spec, { containerArgs: ['true'] }));
    expect(next.status).toBe('SUCCESS');
  });

  it('honours Celery expires (never runs, job CANCELED) and eta (waits, abortable)', async () => {
    const expired = newJob();
    const m = message(expired.spec, { containerArgs: ['echo', 'late'] });
    const outcome = await run({ ...m, headers: { ...m.headers, expires: '2020-01-01T00:00:00+00:00' } });
    expect(outcome).toEqual({ status: 'REVOKED' });
    expect(statuses(expired.job._id)).toEqual([JobStatus.QUEUED, JobStatus.CANCELED]);

    const later = newJob();
    const controller = new AbortController();
    const eta = new Date(Date.now() + 3_600_000).toISOString();
    const waiting = run({ ...m, headers: { ...m.headers, jobInfoSpec: later.spec, eta } }, controller.signal);
    controller.abort(new TaskRevokedError(String(m.headers.id), false));
    expect(await waiting).toEqual({ status: 'REVOKED' });
    expect(statuses(later.job._id)).toEqual([JobStatus.QUEUED, JobStatus.CANCELED]);

    const due = newJob();
    const past = new Date(Date.now() - 1000).toISOString();
    expect((await run({ ...m, headers: { ...m.headers, jobInfoSpec: due.spec, eta: past } })).status).toBe(
      'SUCCESS',
    );
    expect(jobLog(due.job._id)).toBe('late\n');
  });

  it('refuses Celery links and Girder session settings instead of dropping them', async () => {
    const { job, spec } = newJob();
    const m = message(spec, { containerArgs: ['true'] });
    const linked = {
      ...m,
      body: Buffer.from(
        JSON.stringify({
          'py/tuple': [
            { 'py/tuple': [TEST_IMAGE] },
            { pull_image: false },
            { callbacks: [{ task: 'x' }], errbacks: null, chain: null, chord: null },
          ],
        }),
      ),
    };
    expect(await run(linked)).toMatchObject({ status: 'FAILURE', error: { type: 'CeleryProtocolError' } });
    expect(jobLog(job._id)).toMatch(/body\[2\]\.callbacks: Celery callbacks are not supported/);
    const other = newJob();
    const session = {
      ...m,
      headers: { ...m.headers, jobInfoSpec: other.spec, girder_client_session_kwargs: { verify: false } },
    };
    expect((await run(session)).status).toBe('FAILURE');
    expect(jobLog(other.job._id)).toMatch(
      /girder_client_session_kwargs: requests\.Session settings \(verify\)/,
    );
  });

  it('sends HostStdOut to the worker log (never to stdout) when the task has no job', async () => {
    const pipe = new Connect(new NamedOutputPipe('out'), new HostStdOut());
    const outcome = await run(
      message(undefined, { containerArgs: ['sh', '-c', 'printf "a\\nb" > "$0"', pipe] }),
    );
    expect(outcome.status).toBe('SUCCESS');
    const lines = logged
      .filter((l) => (l.context as { source?: string })?.source === 'HostStdOut')
      .map((l) => l.message);
    expect(lines).toEqual(['a', 'b']);
  });

  it('runs a message without jobInfoSpec and logs its output locally', async () => {
    const outcome = await run(message(undefined, { containerArgs: ['echo', 'local'] }));
    expect(outcome.status).toBe('SUCCESS');
    expect(logged).toContainEqual(expect.objectContaining({ level: 'info', message: 'local' }));
  });
});
