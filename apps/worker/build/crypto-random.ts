/**
 * The source of the CLI bundle's stand-in for `node:crypto`. Loading `node:crypto` costs a run
 * 10–14 ms of CPU before its first request (it loads ciphers, keys, X.509 and more: about twenty
 * modules, as does Web Crypto's `getRandomValues`), and the run needs it only for random bytes: the
 * run id (`randomUUID`) and its temporary volume's path in the container (`randomBytes`). Where
 * the kernel's random device exists, the stand-in reads those bytes from it (the source Node's own
 * generator is seeded from; well under a millisecond); anywhere else, or on any failure, or for a
 * call with a callback or of any other export, it loads `node:crypto` and defers to it.
 */
export const cryptoStandIn: string = `
let loaded;
const load = () => (loaded ??= require('node:crypto'));
function deviceBytes(size) {
  if (process.platform === 'win32' || !Number.isSafeInteger(size) || size < 0 || size > 65536) return undefined;
  const fs = require('node:fs');
  let fd;
  try {
    fd = fs.openSync('/dev/urandom', 'r');
    const bytes = Buffer.alloc(size);
    for (let read = 0; read < size; ) {
      const n = fs.readSync(fd, bytes, read, size - read, null);
      if (n <= 0) return undefined;
      read += n;
    }
    return bytes;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
function randomBytes(size, callback) {
  if (callback === undefined) {
    const bytes = deviceBytes(size);
    if (bytes !== undefined) return bytes;
  }
  return load().randomBytes(size, callback);
}
function randomUUID(options) {
  const b = deviceBytes(16);
  if (b === undefined) return load().randomUUID(options);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}
const rest = new Proxy({}, { get: (_, key) => load()[key] });
module.exports = Object.assign(Object.create(rest), { randomBytes, randomUUID });
`;
