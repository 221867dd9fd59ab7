// Consumer check: imports the package by its name (Node self-reference through "exports") and
// talks to a real server over loopback. Run: node test/smoke.mjs
import assert from 'node:assert/strict';
import { startGirderTestServer } from '@girder-worker/girder-test-server';

const girder = await startGirderTestServer({ minimumChunkSize: 1 });
try {
  const headers = { 'Girder-Token': girder.admin.token };
  const init = await fetch(
    `${girder.apiUrl}/file?parentType=folder&parentId=${girder.admin.privateFolderId}&name=hello.txt&size=5`,
    { method: 'POST', headers },
  );
  const upload = await init.json();
  const done = await fetch(`${girder.apiUrl}/file/chunk?uploadId=${upload._id}&offset=0`, {
    method: 'POST',
    headers,
    body: 'hello',
  });
  const file = await done.json();
  assert.equal(file._modelType, 'file');
  const res = await fetch(`${girder.apiUrl}/file/${file._id}/download`, {
    headers: { ...headers, Range: 'bytes=1-3' },
  });
  assert.equal(res.status, 206);
  assert.equal(await res.text(), 'ell');
} finally {
  await girder.close();
}
console.log('girder-test-server smoke: ok');
