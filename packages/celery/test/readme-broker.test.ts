import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { waitFor } from '@girder-worker/test-helpers';
import { beforeEach, expect, it, onTestFinished } from 'vitest';
import { redisClient, redisUrl } from './helpers.ts';

const run = promisify(execFile);
const URL = redisUrl(4);

beforeEach(async () => {
  await redisClient(URL).flushdb();
});

it('runs the README example: the worker takes the published message and acknowledges it', async () => {
  const readme = readFileSync(new globalThis.URL('../README.md', import.meta.url), 'utf8');
  const example = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!example) throw new Error('README has no ## Example ts block');
  const src = new globalThis.URL('../src/index.ts', import.meta.url).pathname;
  // The example as a user runs it, with the package import pointed at this checkout and a
  // close at the end once the message was handled.
  const script = `${example.replace("'@girder-worker/celery'", `'${src}'`)}
await new Promise((r) => setTimeout(r, 50));
while (worker.active().length > 0 || !(globalThis.__seen)) { await new Promise((r) => setTimeout(r, 50)); }
await worker.close();
`.replace('console.log(`running', 'globalThis.__seen = true; console.log(`running');
  const file = new globalThis.URL(`./readme-example-${process.pid}.ts`, import.meta.url).pathname;
  writeFileSync(file, script);
  onTestFinished(() => rmSync(file, { force: true }));
  const { stdout } = await run(process.execPath, [file], {
    env: { ...process.env, BROKER_URL: URL },
    timeout: 60_000,
  });
  expect(stdout).toMatch(
    /^running girder_worker\.docker\.tasks\.docker_run [0-9a-f-]{36}, revoked: false\n$/,
  );
  const redis = redisClient(URL);
  await waitFor(async () => (await redis.hlen('unacked')) === 0, 'the ack');
  expect(await redis.llen('celery')).toBe(0);
});
