#!/usr/bin/env node
// Starts the Girder test server in its own process (for benchmarks and manual trials) and prints
// one JSON line: { url, apiUrl, token, privateFolderId, publicFolderId }. It stops when its stdin
// closes or on SIGTERM/SIGINT. Options: --port N, --checksums (sha512 as Girder; off by default here).
import { startGirderTestServer } from '../src/index.ts';

const portArg = process.argv.indexOf('--port');
const server = await startGirderTestServer({
  ...(portArg > 0 ? { port: Number(process.argv[portArg + 1]) } : {}),
  checksums: process.argv.includes('--checksums'),
});
process.stdout.write(
  `${JSON.stringify({
    url: server.url,
    apiUrl: server.apiUrl,
    token: server.admin.token,
    privateFolderId: server.admin.privateFolderId,
    publicFolderId: server.admin.publicFolderId,
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
