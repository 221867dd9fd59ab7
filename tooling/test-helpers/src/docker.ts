import Docker from 'dockerode';

/** The local test image built by scripts/setup-host.sh (busybox, no registry needed). */
export const TEST_IMAGE: string = process.env.GW_TEST_IMAGE ?? 'girder-worker-test/busybox:latest';

/**
 * Run options for the local test image, never pulled: spread them into a `dockerRun` call or a
 * run spec (`{ ...LOCAL_IMAGE, containerArgs: ['true'] }`).
 */
export const LOCAL_IMAGE: { readonly image: string; readonly pullImage: false } = {
  image: TEST_IMAGE,
  pullImage: false,
};

/** The label every container started by girder-worker carries (value: the run id). */
const RUN_LABEL = 'org.girder-worker.run';

let client: Docker | undefined;

/** A Dockerode client for the local engine (DOCKER_HOST or the default socket). */
export function testDocker(): Docker {
  client ??= new Docker();
  return client;
}

/**
 * Containers carrying girder-worker's run label; with `worker`, only those of that worker id.
 */
export async function listLabelledContainers(worker?: string): Promise<Docker.ContainerInfo[]> {
  const label = [RUN_LABEL];
  if (worker) label.push(`org.girder-worker.worker=${worker}`);
  return testDocker().listContainers({ all: true, filters: { label } });
}

/** Force-removes labelled containers (of one worker id when given); returns how many. */
export async function removeLabelledContainers(worker?: string): Promise<number> {
  const found = await listLabelledContainers(worker);
  await Promise.all(
    found.map((c) =>
      testDocker()
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
  return found.length;
}
