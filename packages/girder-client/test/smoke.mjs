// Consumer check (tooling/package-checks): runs in a fresh npm project with the packed tarball installed.
import assert from 'node:assert/strict';
import { GirderClient, isGirderNetworkError, redactUrl, safeFileName } from '@girder-worker/girder-client';

assert.equal(safeFileName('../../evil'), '.._.._evil');
assert.equal(redactUrl('http://h/api/v1/item?token=abc&x=1'), 'http://h/api/v1/item?token=***&x=1');
assert.throws(() => new GirderClient({ apiUrl: 'nope' }), /apiUrl: expected an http\(s\) URL/);
// Nothing listens on port 9 of loopback: a clear network error, no token in it.
const client = new GirderClient({ apiUrl: 'http://127.0.0.1:9/api/v1', token: 'secret-token', retry: 0 });
const error = await client.getMe().catch((e) => e);
assert.ok(isGirderNetworkError(error), String(error));
assert.ok(!String(error).includes('secret-token'));
