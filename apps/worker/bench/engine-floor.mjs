// The floor for `girder-worker run --image IMAGE --no-pull -- ARGS…` in Node: the same Engine API
// calls the command makes, over the same socket, with nothing else — no option parsing, no
// validation, no transforms, no logging, no Docker client library. Node's own start plus these
// calls is the least any Node program doing this run can take; cli-start.ts measures it beside
// `docker run --rm` and the real command.
//   node bench/engine-floor.mjs IMAGE ARGS…   (plain JavaScript: no type stripping at start)
// The calls, in the command's order: its temporary volume (a folder and its marker file); the
// image inspected and (inside a container, as girder_worker does) the networks listed, at once;
// the container created (labelled, the volume bound); attached; started; waited for; removed with
// its volumes; the temporary volume removed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOCKET = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');

/** One request on a connection of its own; the status and body of the answer (de-chunked). */
function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const socket = connect(SOCKET);
    const text = body === undefined ? '' : JSON.stringify(body);
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks).toString();
      const split = all.indexOf('\r\n\r\n');
      const head = all.slice(0, split);
      let rest = all.slice(split + 4);
      if (/transfer-encoding: chunked/i.test(head)) {
        let out = '';
        for (;;) {
          const eol = rest.indexOf('\r\n');
          const size = Number.parseInt(rest.slice(0, eol), 16);
          if (!size) break;
          out += rest.slice(eol + 2, eol + 2 + size);
          rest = rest.slice(eol + 2 + size + 2);
        }
        rest = out;
      }
      resolve({ status: Number(head.slice(9, 12)), body: rest });
    });
  });
}

/** Attaches to the container's output and copies its frames to our stdout and stderr. */
function attach(id) {
  return new Promise((resolve, reject) => {
    const socket = connect(SOCKET);
    socket.write(
      `POST /containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\n` +
        'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    );
    let pending = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      if (!upgraded) {
        const split = pending.indexOf('\r\n\r\n');
        if (split < 0) return;
        pending = pending.subarray(split + 4);
        upgraded = true;
        resolve(() => socket.destroy());
      }
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        (pending[0] === 2 ? process.stderr : process.stdout).write(pending.subarray(8, 8 + size));
        pending = pending.subarray(8 + size);
      }
    });
  });
}

const [image, ...args] = process.argv.slice(2);
if (!image) throw new Error('usage: node bench/engine-floor.mjs IMAGE ARGS…');
const volume = mkdtempSync(join(tmpdir(), 'girder_worker_'));
writeFileSync(`${volume}.girder_worker_volume`, '');
const [inspected] = await Promise.all([
  request('GET', `/images/${image}/json`),
  existsSync('/.dockerenv') ? request('GET', '/networks') : undefined,
]);
if (inspected.status !== 200) throw new Error(`no image ${image}: ${inspected.body}`);
const created = await request('POST', `/containers/create`, {
  Image: image,
  Cmd: args,
  AttachStdout: true,
  AttachStderr: true,
  Labels: { 'org.girder-worker.bench': 'engine-floor' },
  HostConfig: {
    Binds: [`${volume}:/mnt/girder_worker/${process.pid.toString(16)}${Date.now().toString(16)}:rw`],
  },
});
const { Id: id } = JSON.parse(created.body);
const detach = await attach(id);
await request('POST', `/containers/${id}/start`);
const waited = await request('POST', `/containers/${id}/wait?condition=not-running`);
const { StatusCode: exitCode } = JSON.parse(waited.body);
await request('DELETE', `/containers/${id}?force=1&v=1`);
detach();
rmSync(volume, { recursive: true });
rmSync(`${volume}.girder_worker_volume`);
process.stderr.write(`engine-floor: container ${id.slice(0, 12)} of ${image} exited with code ${exitCode}\n`);
process.exitCode = exitCode;
