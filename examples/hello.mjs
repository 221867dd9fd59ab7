// Until the app lands: run one container of the local test image on the embedded default (no
// broker) and print what happened.
import Docker from 'dockerode';

const docker = new Docker();
const image = process.env.GW_TEST_IMAGE ?? 'girder-worker-test/busybox:latest';
const container = await docker.createContainer({
  Image: image,
  Cmd: ['sh', '-c', 'seq 1 3 | tr "\\n" " "; echo; echo "hello from a girder-worker container"'],
  HostConfig: { NetworkMode: 'none', AutoRemove: false },
  Labels: { 'org.girder-worker.run': 'example-hello', 'org.girder-worker.worker': 'example' },
});
try {
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  container.modem.demuxStream(stream, process.stdout, process.stderr);
  const ended = new Promise((resolve) => stream.once('end', resolve));
  await container.start();
  const { StatusCode } = await container.wait();
  await ended;
  console.log(`container ${container.id.slice(0, 12)} of ${image} exited with code ${StatusCode}`);
} finally {
  await container.remove({ force: true });
}
