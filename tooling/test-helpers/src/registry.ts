import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { TEST_IMAGE, testDocker } from './docker.ts';
import { freePort } from './free-port.ts';

/** A private Docker registry (Debian's `docker-registry`, distribution 2.8) on a loopback port. */
export interface TestRegistry extends AsyncDisposable {
  /** `127.0.0.1:<port>`: the registry part of image names. */
  readonly host: string;
  /** The user and password its htpasswd accepts. */
  readonly credentials: { username: string; password: string };
  /** Every request line the registry logged so far (`GET /v2/<name>/manifests/<tag>` …). */
  requests(): string[];
  /** Stops the registry (a pull under way is cut). Idempotent. */
  stop(): Promise<void>;
}

async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`docker-registry did not answer at ${url}`);
}

/**
 * Starts a private registry with htpasswd auth on a free loopback port, storing under a fresh
 * directory that `stop()` removes. dockerd allows 127.0.0.0/8 registries over plain http.
 */
export async function startTestRegistry(): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-fixture-registry-'));
  const port = await freePort();
  const credentials = { username: 'gw', password: randomBytes(9).toString('base64url') };
  const htpasswd = execFileSync('htpasswd', ['-Bbn', credentials.username, credentials.password], {
    encoding: 'utf8',
  });
  await writeFile(join(dir, 'htpasswd'), htpasswd);
  await writeFile(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      'auth:',
      '  htpasswd:',
      '    realm: gw-test',
      `    path: ${join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const collect = (chunk: Buffer): void => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (/"(GET|HEAD|PUT|POST|PATCH|DELETE) \/v2\//.test(line)) lines.push(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const host = `127.0.0.1:${port}`;
  await waitUntilServing(`http://${host}/v2/`, child);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const closed = new Promise((r) => child.once('close', r));
        child.kill('SIGKILL');
        await closed;
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  return { host, credentials, requests: () => [...lines], stop, [Symbol.asyncDispose]: stop };
}

/** Follows a push or pull progress stream; rejects on an `error` line. */
async function follow(stream: NodeJS.ReadableStream): Promise<void> {
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as { error?: string };
    if (event.error) throw new Error(event.error);
  }
}

/**
 * Pushes an image to the registry under `name` (e.g. `gw/busybox:1`) and removes the local tag, so
 * the image is in the registry only. `from` defaults to the local test image.
 * @returns the full reference, `127.0.0.1:<port>/<name>`
 */
export async function pushToRegistry(
  registry: TestRegistry,
  name: string,
  from: string = TEST_IMAGE,
): Promise<string> {
  const docker = testDocker();
  const reference = `${registry.host}/${name}`;
  const colon = reference.lastIndexOf(':');
  await docker.getImage(from).tag({ repo: reference.slice(0, colon), tag: reference.slice(colon + 1) });
  const authconfig = { ...registry.credentials, serveraddress: registry.host };
  await follow(await docker.getImage(reference).push({ authconfig }));
  await docker.getImage(reference).remove();
  return reference;
}

/**
 * Builds a local image with one layer of `megabytes` MiB of random bytes (not compressible, so a
 * pull of it takes a while) on top of nothing, named `name`. Remove it with `docker rmi`.
 */
export async function buildLargeImage(name: string, megabytes: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-fixture-large-'));
  try {
    const block = randomBytes(1 << 20);
    async function* content(): AsyncGenerator<Buffer> {
      for (let i = 0; i < megabytes; i++) {
        const chunk = Buffer.from(block);
        chunk.writeUInt32LE(i, 0);
        yield chunk;
      }
    }
    await pipeline(
      content(),
      createGzip({ level: 0 }),
      (await import('node:fs')).createWriteStream(join(dir, 'blob.gz')),
    );
    const tar = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', dir, '-cf', tar, 'blob.gz']);
    execFileSync('docker', ['import', tar, name], { stdio: 'ignore' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
