import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { assertNoLeaks, listLabelledContainers, TEST_IMAGE, testDocker } from '../src/index.ts';

afterEach(() => assertNoLeaks());

describe('test infrastructure', () => {
  it('runs a container of the local test image on the real engine and reads its output', async () => {
    const docker = testDocker();
    const image = await docker.getImage(TEST_IMAGE).inspect();
    expect(image.RepoTags).toContain(TEST_IMAGE);

    const container = await docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sh', '-c', 'echo hello from $(cat /proc/1/comm); echo oops >&2; exit 3'],
      Labels: { 'org.girder-worker.run': 'infrastructure-smoke', 'org.girder-worker.worker': 'test' },
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      stdout.on('data', (c: Buffer) => out.push(c));
      stderr.on('data', (c: Buffer) => err.push(c));
      const ended = new Promise((r) => stream.once('end', r));
      container.modem.demuxStream(stream, stdout, stderr);
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await ended;
      expect(StatusCode).toBe(3);
      expect(Buffer.concat(out).toString()).toBe('hello from sh\n');
      expect(Buffer.concat(err).toString()).toBe('oops\n');
      expect((await listLabelledContainers('test')).length).toBe(1);
    } finally {
      await container.remove({ force: true });
    }
  });

  it('gives the test run a private, empty TMPDIR', async () => {
    expect(process.env.TMPDIR).toBe(process.env.GW_TEST_TMPDIR);
    expect(process.env.TMPDIR).toMatch(/gw-test-/);
  });
});
