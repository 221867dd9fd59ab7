// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import {
  GirderClient,
  isGirderHttpError,
  isGirderNetworkError,
  isUnsafeNameError,
  redactUrl,
  safeFileName,
  UnsafeNameError,
} from '@girder-worker/girder-client';

// Names from Girder become one safe path segment, or an UnsafeNameError.
assert.equal(safeFileName('../../evil'), '.._.._evil');
assert.equal(safeFileName('/etc/passwd'), 'etc_passwd');
let refused;
try {
  safeFileName('..');
} catch (error) {
  refused = error;
}
assert.ok(refused instanceof UnsafeNameError && isUnsafeNameError(refused), String(refused));
assert.equal(refused.code, 'GIRDER_UNSAFE_NAME');
assert.equal(isGirderHttpError(refused), false);
assert.equal(redactUrl('http://h/api/v1/item?token=abc&x=1'), 'http://h/api/v1/item?token=***&x=1');

// Options are checked at the door, naming the field.
assert.throws(() => new GirderClient({ apiUrl: 'nope' }), /apiUrl: expected an http\(s\) URL/);
assert.throws(() => new GirderClient({ apiUrl: 'http://h/api/v1', chunkBytes: 1 }), /chunkBytes/);
const client = new GirderClient({ apiUrl: 'http://127.0.0.1:9/api/v1/', token: 'secret-token', retry: 0 });
assert.equal(client.apiUrl, 'http://127.0.0.1:9/api/v1');
assert.equal(client.chunkBytes, 64 * 1024 * 1024);

// Nothing listens on port 9 of loopback: a clear network error, no token in it.
const error = await client.getMe().catch((e) => e);
assert.ok(isGirderNetworkError(error), String(error));
assert.ok(!String(error).includes('secret-token'));
console.log('girder-client smoke: ok');
