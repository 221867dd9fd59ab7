import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertNoLeaks,
  buildLargeImage,
  makeTempDir,
  pushToRegistry,
  startTestRegistry,
  TEST_IMAGE,
  type TestRegistry,
  testDocker,
} from '@girder-worker/test-helpers';
import { SpecValidationError } from '@girder-worker/transforms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DockerRunEvent,
  dockerConfigCredentials,
  dockerRun,
  isImageNotFoundError,
  parseRegistryAuth,
} from '../src/index.ts';
import { ensureImage } from '../src/pull.ts';
import { registryOf } from '../src/registry/credentials.ts';
import { collectingReporter } from './helpers.ts';

const docker = testDocker();
let registry: TestRegistry;
let image: string;

async function removeImage(reference: string): Promise<void> {
  await docker
    .getImage(reference)
    .remove({ force: true })
    .catch(() => {});
}

/** Manifest requests the registry saw for `reference`. */
function manifestGets(reference: string): number {
  const [, path] = /^[^/]+\/(.+):[^:]+$/.exec(reference) ?? [];
  return registry
    .requests()
    .filter((line) => /"(GET|HEAD) \/v2\//.test(line) && line.includes(`/v2/${path}/manifests/`)).length;
}

beforeAll(async () => {
  registry = await startTestRegistry();
  image = await pushToRegistry(registry, 'gw-test/busybox:1');
}, 120_000);
afterAll(async () => {
  await removeImage(image);
  await registry?.stop();
});
afterEach(async () => {
  await removeImage(image);
  await assertNoLeaks();
});

const echo = { containerArgs: ['echo', 'pulled and ran'], removeContainer: true };

describe('pull policy', () => {
  it('never: a missing image is a clear error before anything starts, and no request reaches the registry', async () => {
    const before = registry.requests().length;
    const error = await dockerRun({ image, pullImage: 'never', ...echo }).catch((e: unknown) => e);
    expect(isImageNotFoundError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(
      new RegExp(`'${image}' is not present and pullImage is 'never'`),
    );
    expect(registry.requests().length).toBe(before);
  });

  it('if-not-present: a present image is not pulled; a missing one is', async () => {
    const events: DockerRunEvent[] = [];
    await dockerRun({
      image: TEST_IMAGE,
      pullImage: 'if-not-present',
      onEvent: (e) => events.push(e),
      ...echo,
    });
    expect(events.filter((e) => e.type === 'pull')).toEqual([]);

    const reporter = collectingReporter();
    const result = await dockerRun({
      image,
      pullImage: 'if-not-present',
      registryAuth: registry.credentials,
      reporter,
      ...echo,
    });
    expect(result.exitCode).toBe(0);
    expect(reporter.stdout()).toEqual(['pulled and ran']);
    // Two summary lines for the job log, not one per layer.
    const notes = reporter.lines.filter((l) => l.startsWith('worker:'));
    expect(notes[0]).toBe(`worker:Pulling image ${image}`);
    // The test image's one layer is already on the engine: only the manifest is new.
    expect(notes[1]).toMatch(/^worker:Pulled image \S+ \(all layers already present\) in [\d.]+ s$/);
    expect(notes[1]).toContain(image);
    expect(notes).toHaveLength(2);
    const gets = manifestGets(image);
    await dockerRun({ image, pullImage: 'if-not-present', ...echo });
    expect(manifestGets(image)).toBe(gets);
  });

  it('always (and true): pulls again even when present', async () => {
    await dockerRun({ image, pullImage: true, registryAuth: registry.credentials, ...echo });
    const gets = manifestGets(image);
    await dockerRun({ image, pullImage: 'always', registryAuth: registry.credentials, ...echo });
    expect(manifestGets(image)).toBeGreaterThan(gets);
  });

  it('refuses other values naming the field', async () => {
    await expect(dockerRun({ image, pullImage: 'yes' as never, ...echo })).rejects.toThrow(
      SpecValidationError,
    );
    await expect(dockerRun({ image, pullImage: 'yes' as never, ...echo })).rejects.toThrow(/pullImage/);
  });
});

describe('registry credentials', () => {
  it('without credentials the registry refuses: the error names the image, the registry and its message', async () => {
    const error = await dockerRun({ image, pullImage: 'always', ...echo }).catch((e: unknown) => e);
    expect(isImageNotFoundError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(image);
    expect(message).toContain(`could not be pulled from ${registry.host}`);
    expect(message).toMatch(/auth|unauthorized/i);
  });

  it("reads the worker's Docker config (auths) and never shows the password", async () => {
    const dir = await makeTempDir();
    const config = join(dir, 'config.json');
    const { username, password } = registry.credentials;
    await writeFile(
      config,
      JSON.stringify({
        auths: { [registry.host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } },
      }),
    );
    const logged: string[] = [];
    const logger = {
      debug: (m: string, c?: object) => logged.push(`${m} ${JSON.stringify(c)}`),
      info: (m: string, c?: object) => logged.push(`${m} ${JSON.stringify(c)}`),
      warn: (m: string, c?: object) => logged.push(`${m} ${JSON.stringify(c)}`),
      error: (m: string, c?: object) => logged.push(`${m} ${JSON.stringify(c)}`),
    };
    const result = await dockerRun({
      image,
      pullImage: 'always',
      registryAuth: dockerConfigCredentials(config),
      logger,
      ...echo,
    });
    expect(result.exitCode).toBe(0);
    expect(logged.join('\n')).toContain('pulled image');
    expect(logged.join('\n')).not.toContain(password);

    // Wrong password: refused, and neither password shows in the error or its cause.
    await removeImage(image);
    const error = await dockerRun({
      image,
      pullImage: 'always',
      registryAuth: { username, password: `${password}-wrong`, serveraddress: registry.host },
      ...echo,
    }).catch((e: unknown) => e);
    expect(isImageNotFoundError(error)).toBe(true);
    const shown = JSON.stringify({
      m: (error as Error).message,
      c: String((error as Error).cause),
      s: (error as Error).stack,
    });
    expect(shown).not.toContain(password);
  });

  it('sends fixed credentials only to the registry they name', async () => {
    expect(registryOf('alpine:3')).toBe('docker.io');
    expect(registryOf('lab/tool:1')).toBe('docker.io');
    expect(registryOf('ghcr.io/lab/tool')).toBe('ghcr.io');
    expect(registryOf(`${registry.host}/a/b:1`)).toBe(registry.host);
    const error = await dockerRun({
      image,
      pullImage: 'always',
      registryAuth: { ...registry.credentials, serveraddress: 'ghcr.io' },
      ...echo,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/auth|unauthorized/i);
  });

  it('validates explicit credentials naming the field, without echoing the password', () => {
    expect(() => parseRegistryAuth({ username: 'a' })).toThrow(/registryAuth\.password/);
    expect(() => parseRegistryAuth({ username: 'a', password: 'p', Password: 'x' })).toThrow(
      /registryAuth\.Password/,
    );
    expect(() => parseRegistryAuth({ username: 'a', password: 7 })).not.toThrow(/7/);
    expect(parseRegistryAuth({ identitytoken: 't' })).toEqual({ identitytoken: 't' });
  });
});

describe('pulls shared and cut', () => {
  it('two runs of one missing image at once pull it once', async () => {
    const options = {
      policy: 'always' as const,
      credentials: registry.credentials,
      signal: new AbortController().signal,
      onEvent: () => {},
    };
    await ensureImage(docker, image, options);
    await removeImage(image);
    const before = manifestGets(image);
    await ensureImage(docker, image, options);
    const onePull = manifestGets(image) - before;
    expect(onePull).toBeGreaterThan(0);
    await removeImage(image);
    const start = manifestGets(image);
    const seen: DockerRunEvent[][] = [[], []];
    const inspected = await Promise.all(
      seen.map((events) => ensureImage(docker, image, { ...options, onEvent: (e) => events.push(e) })),
    );
    expect(inspected[0]?.Id).toBe(inspected[1]?.Id);
    expect(manifestGets(image) - start).toBe(onePull);
    // Both callers saw the shared pull's progress.
    for (const events of seen) expect(events.some((e) => e.type === 'pull')).toBe(true);
    // And two runs at once both run.
    await removeImage(image);
    const runs = await Promise.all([
      dockerRun({ image, pullImage: 'always', registryAuth: registry.credentials, ...echo }),
      dockerRun({ image, pullImage: 'if-not-present', registryAuth: registry.credentials, ...echo }),
    ]);
    expect(runs.map((r) => r.exitCode)).toEqual([0, 0]);
  });

  it('a registry stopped mid-pull fails the pull with a clear error naming the image', async () => {
    const local = `gw-test-large-${process.pid}:1`;
    await buildLargeImage(local, 96);
    const own = await startTestRegistry();
    try {
      const reference = await pushToRegistry(own, 'gw-test/large:1', local);
      // Only in the registry now: the pull must download the whole layer.
      await removeImage(local);
      let stopped: Promise<void> | undefined;
      const error = await ensureImage(docker, reference, {
        policy: 'always',
        credentials: own.credentials,
        signal: new AbortController().signal,
        onEvent: (event) => {
          if (event.type === 'pull' && event.status === 'Downloading' && (event.current ?? 0) > 0)
            stopped ??= own.stop();
        },
      }).catch((e: unknown) => e);
      await stopped;
      expect(stopped).toBeDefined();
      expect(isImageNotFoundError(error)).toBe(true);
      expect((error as Error).message).toContain(`'${reference}' could not be pulled from ${own.host}`);
      await removeImage(reference);
    } finally {
      await own.stop();
      await removeImage(local);
    }
  }, 180_000);
});
