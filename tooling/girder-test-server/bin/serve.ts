#!/usr/bin/env node
// Starts the Girder test server in its own process, for tests in other processes or languages,
// benchmarks and manual trials, and prints one JSON line on stdout:
//   { url, apiUrl, token, privateFolderId, publicFolderId,
//     admin: { _id, login, password, token, apiKey, privateFolderId, publicFolderId },
//     seed?: { users, paths }, control?: { url, token } }
// It stops when its stdin closes or on SIGTERM/SIGINT.
// Options:
//   --port N                 listen on 127.0.0.1:N (default: a free port)
//   --seed FILE              create the users, collections, folders and files described in FILE
//                            (JSON, see the README); the ids come back under "seed"
//   --control                serve the control routes under <url>/_control (seed, faults, jobs)
//   --minimum-chunk-size N   Girder's minimum upload chunk size in bytes (default 5 MiB)
//   --checksums              compute each file's sha512 as Girder does (off here by default)
import { readFile } from 'node:fs/promises';
import { type GirderTestServerOptions, startGirderTestServer } from '../src/index.ts';

function fail(message: string): never {
  process.stderr.write(`girder-test-server: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { options: GirderTestServerOptions; seedFile: string | undefined } {
  const options: GirderTestServerOptions = { checksums: false };
  let seedFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) fail(`${arg} needs a value.`);
      return next;
    };
    const integer = (): number => {
      const text = value();
      if (!/^\d+$/.test(text)) fail(`${arg}: expected a non-negative integer, got ${JSON.stringify(text)}.`);
      return Number(text);
    };
    if (arg === '--port') options.port = integer();
    else if (arg === '--minimum-chunk-size') options.minimumChunkSize = integer();
    else if (arg === '--seed') seedFile = value();
    else if (arg === '--control') options.control = true;
    else if (arg === '--checksums') options.checksums = true;
    else
      fail(
        `unknown argument ${JSON.stringify(arg)} (known: --port, --seed, --control, --minimum-chunk-size, --checksums).`,
      );
  }
  return { options, seedFile };
}

const { options, seedFile } = parseArgs(process.argv.slice(2));
let seedJson: unknown;
if (seedFile !== undefined) {
  try {
    seedJson = JSON.parse(await readFile(seedFile, 'utf8'));
  } catch (error) {
    fail(`--seed ${seedFile}: ${(error as Error).message}`);
  }
}
const server = await startGirderTestServer(options);
let seed: unknown;
if (seedJson !== undefined) {
  try {
    seed = await server.seed(seedJson as Parameters<typeof server.seed>[0]);
  } catch (error) {
    await server.close();
    fail(`--seed ${seedFile}: ${(error as Error).message}`);
  }
}
const { admin } = server;
process.stdout.write(
  `${JSON.stringify({
    url: server.url,
    apiUrl: server.apiUrl,
    token: admin.token,
    privateFolderId: admin.privateFolderId,
    publicFolderId: admin.publicFolderId,
    admin: {
      _id: admin.user._id,
      login: admin.login,
      password: admin.password,
      token: admin.token,
      apiKey: admin.apiKey,
      privateFolderId: admin.privateFolderId,
      publicFolderId: admin.publicFolderId,
    },
    ...(seed === undefined ? {} : { seed }),
    ...(server.control === undefined ? {} : { control: server.control }),
  })}\n`,
);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
