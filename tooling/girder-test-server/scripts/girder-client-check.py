"""A manual check, not part of CI: Girder's own Python client (girder_client and its CLI,
unmodified) against bin/serve.ts, over loopback.

Usage (girder_client comes from a checkout of github.com/girder/girder outside this repository;
nothing of it is copied here):
    apt-get install -y python3-requests python3-click python3-diskcache
    PYTHONPATH=<girder checkout>/clients/python /usr/bin/python3 girder-client-check.py <bin/serve.ts>
Node 24 must be on PATH. Prints one line per flow and exits non-zero if any failed.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile

import girder_client
from girder_client import GirderClient, HttpError

SERVE = sys.argv[1]
MiB = 1024 * 1024
results = []


def step(name, fn):
    try:
        detail = fn()
        results.append((name, True))
        print('ok   %s%s' % (name, (': ' + detail) if detail else ''), flush=True)
    except Exception as exc:  # report and go on
        results.append((name, False))
        print('FAIL %s: %s: %s' % (name, type(exc).__name__, exc), flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(MiB), b''):
            h.update(chunk)
    return h.hexdigest()


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


proc = subprocess.Popen(['node', SERVE, '--control'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
info = json.loads(proc.stdout.readline())
api = info['apiUrl']
admin = info['admin']
work = tempfile.mkdtemp(prefix='gc-driver-')
print('server %s; girder_client from %s' % (api, os.path.dirname(girder_client.__file__)), flush=True)
ctx = {}
gc = GirderClient(apiUrl=api)
key_client = GirderClient(apiUrl=api)


def login_password():
    user = gc.authenticate(admin['login'], admin['password'])
    expect(user['login'] == 'admin', user)
    try:
        GirderClient(apiUrl=api).authenticate('admin', 'wrong')
        raise AssertionError('a wrong password was accepted')
    except girder_client.AuthenticationError:
        pass
    return 'user %s; wrong password -> AuthenticationError' % user['login']


def login_api_key():
    key_client.authenticate(apiKey=admin['apiKey'])
    me = key_client.get('user/me')
    expect(me['_id'] == admin['_id'], me)
    return 'token for %s' % me['login']


def server_version():
    version = gc.getServerVersion()
    expect(version >= ['2', '3'], version)
    return '.'.join(version)


def collections():
    coll = gc.createCollection('gc-driver', 'made by girder_client', public=True)
    ctx['collection'] = coll
    listed = [c['name'] for c in gc.listCollection()]
    expect('gc-driver' in listed, listed)
    expect(gc.getCollection(coll['_id'])['description'] == 'made by girder_client', 'get')
    try:
        gc.createCollection('gc-driver')
        raise AssertionError('a duplicate name was accepted')
    except HttpError as e:
        expect(e.status == 400 and json.loads(e.responseText)['field'] == 'name', e.responseText)
    return 'created %s, listed %s, duplicate -> 400 field name' % (coll['_id'], listed)


def folders_items():
    folder = gc.createFolder(ctx['collection']['_id'], 'data', parentType='collection',
                             metadata={'stage': 'raw'})
    ctx['folder'] = folder
    sub = gc.createFolder(folder['_id'], 'sub')
    again = gc.createFolder(folder['_id'], 'sub', reuseExisting=True)
    expect(again['_id'] == sub['_id'], 'reuseExisting')
    item = gc.createItem(folder['_id'], 'notes', metadata={'a': 1})
    ctx['item'] = item
    expect([i['name'] for i in gc.listItem(folder['_id'])] == ['notes'], 'listItem')
    expect([f['name'] for f in gc.listFolder(folder['_id'])] == ['sub'], 'listFolder')
    return 'folder %s, item %s' % (folder['_id'], item['_id'])


def metadata():
    item = gc.addMetadataToItem(ctx['item']['_id'], {'b': 'x', 'a': None, 'n': 2.5})
    expect(item['meta'] == {'b': 'x', 'n': 2.5}, item['meta'])
    folder = gc.addMetadataToFolder(ctx['folder']['_id'], {'stage': 'done', 'k': [1, 2]})
    expect(folder['meta'] == {'stage': 'done', 'k': [1, 2]}, folder['meta'])
    coll = gc.addMetadataToCollection(ctx['collection']['_id'], {'owner': 'lab'})
    expect(coll['meta'] == {'owner': 'lab'}, coll['meta'])
    try:
        gc.addMetadataToItem(ctx['item']['_id'], {'': 1})
        raise AssertionError('an empty key was accepted')
    except HttpError as e:
        expect(e.status == 400, e.status)
        body = json.loads(e.responseText)
    return 'item %s, folder %s, collection %s; empty key -> 400 %r' % (
        item['meta'], folder['meta'], coll['meta'], body['message'])


def upload_file_to_folder():
    path = os.path.join(work, 'big.bin')
    with open(path, 'wb') as f:
        for i in range(50):
            f.write(hashlib.sha256(str(i).encode()).digest() * (MiB // 32))
    file = gc.uploadFileToFolder(ctx['folder']['_id'], path)
    expect(file['size'] == 50 * MiB, file)
    expect(len(requests_seen('GET', '/api/v1/system/version')) >= 1, 'no version check')
    out = os.path.join(work, 'big.out')
    gc.downloadFile(file['_id'], out)
    expect(sha256_file(out) == sha256_file(path), 'sha256 differs')
    ctx['big'] = file
    return 'GET system/version, one POST /file of 50 MiB; sha256 %s intact' % sha256_file(out)[:16]


def requests_seen(method, path):
    import requests
    r = requests.get(info['control']['url'] + '/requests',
                     headers={'Girder-Test-Control': info['control']['token']})
    return [x for x in r.json() if x['method'] == method and x['path'] == path]


def upload_stream_to_folder():
    data = os.urandom(50 * MiB)
    file = gc.uploadStreamToFolder(ctx['folder']['_id'], io.BytesIO(data), 'stream.bin', len(data))
    got = b''.join(gc.downloadFileAsIterator(file['_id']))
    expect(hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), 'sha256 differs')
    # The chunked path as well: chunks of 8 MiB through POST /file/chunk.
    small = GirderClient(apiUrl=api)
    small.setToken(gc.token)
    small.MAX_CHUNK_SIZE = 8 * MiB
    chunked = small.uploadStreamToFolder(ctx['folder']['_id'], io.BytesIO(data), 'chunked.bin',
                                         len(data))
    got = b''.join(gc.downloadFileAsIterator(chunked['_id']))
    expect(hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), 'chunked sha256')
    return 'one POST and 7 chunks of 8 MiB, both sha256 %s intact' % hashlib.sha256(data).hexdigest()[:16]


def resource_lookup():
    doc = gc.resourceLookup('/collection/gc-driver/data/big.bin')
    expect(doc['_modelType'] == 'item' and doc['name'] == 'big.bin', doc)
    file = gc.resourceLookup('/collection/gc-driver/data/big.bin/big.bin')
    expect(file['_id'] == ctx['big']['_id'], file)
    try:
        gc.resourceLookup('/collection/gc-driver/nothing')
        raise AssertionError('a missing path was found')
    except HttpError as e:
        expect(e.status == 400, e.status)
        msg = json.loads(e.responseText)['message']
    path = gc.get('resource/%s/path' % ctx['big']['_id'], {'type': 'file'})
    # The class docstring's example.
    found = gc.sendRestRequest('GET', 'resource/search', {'q': 'big', 'types': '["folder", "item"]'})
    expect([i['name'] for i in found['item']] == ['big.bin'], found)
    return 'item %s, file; missing -> 400 %r; path %s; resource/search -> %s' % (
        doc['_id'], msg, path, {k: [d['name'] for d in v] for k, v in found.items()})


def users():
    carol = gc.createUser('carol', 'carol@example.com', 'Carol', 'Carter', 'carolpassword')
    expect(carol['login'] == 'carol' and not carol['admin'], carol)
    try:
        gc.createUser('carol', 'other@example.com', 'C', 'C', 'carolpassword')
        raise AssertionError('a taken login was accepted')
    except HttpError as e:
        expect(json.loads(e.responseText)['field'] == 'login', e.responseText)
    # A user seeded from outside the process, through the control route.
    import requests
    seeded = requests.post(info['control']['url'] + '/seed',
                           headers={'Girder-Test-Control': info['control']['token']},
                           json={'users': [{'login': 'dora', 'password': 'dorapassword',
                                            'lastName': 'Able'}]}).json()
    expect('dora' in seeded['users'], seeded)
    logins = [u['login'] for u in gc.listUser()]
    expect(logins == ['dora', 'carol', 'admin'], logins)  # sorted by lastName: Able, Carter, User
    page = list(gc.listUser(limit=1, offset=1))
    expect([u['login'] for u in page] == ['carol'], page)
    return 'createUser carol (taken login -> 400 field login), dora seeded over the control ' \
        'route; listUser %s; limit=1&offset=1 -> carol' % logins


def cli(*args):
    cmd = [sys.executable, '-c', 'from girder_client.cli import main; main()',
           '--api-url', api, '--api-key', admin['apiKey']] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError('%s exited %d: %s' % (' '.join(args), out.returncode, out.stderr[-800:]))
    return out


def cli_upload():
    src = os.path.join(work, 'tree')
    os.makedirs(os.path.join(src, 'inner'))
    with open(os.path.join(src, 'a.txt'), 'w') as f:
        f.write('alpha\n')
    with open(os.path.join(src, 'inner', 'b.txt'), 'w') as f:
        f.write('beta\n')
    cli('upload', ctx['folder']['_id'], src)  # --parent-type auto: a folder
    cli('upload', ctx['collection']['_id'], src)  # --parent-type auto: a collection
    tree = gc.resourceLookup('/collection/gc-driver/data/tree')
    top = gc.resourceLookup('/collection/gc-driver/tree')
    inner = gc.resourceLookup('/collection/gc-driver/tree/inner/b.txt')
    expect(inner['_modelType'] == 'item', inner)
    ctx['tree'] = tree
    return 'into folder (tree %s) and into collection (tree %s)' % (tree['_id'], top['_id'])


def cli_download():
    dest = os.path.join(work, 'down-folder')
    cli('download', ctx['tree']['_id'], dest)  # auto: folder
    expect(open(os.path.join(dest, 'a.txt')).read() == 'alpha\n', 'a.txt')
    expect(open(os.path.join(dest, 'inner', 'b.txt')).read() == 'beta\n', 'inner/b.txt')
    dest = os.path.join(work, 'down-collection')
    cli('download', ctx['collection']['_id'], dest)  # auto: collection
    expect(os.path.isfile(os.path.join(dest, 'tree', 'inner', 'b.txt')), 'collection tree')
    item = gc.resourceLookup('/collection/gc-driver/data/tree/a.txt')
    dest = os.path.join(work, 'down-item')
    cli('download', item['_id'], dest)  # auto: item (folder, collection, user answer 400 first)
    expect(open(os.path.join(dest, 'a.txt')).read() == 'alpha\n', 'item a.txt')
    dest = os.path.join(work, 'down-file.bin')
    cli('download', ctx['big']['_id'], dest)  # auto: file
    expect(sha256_file(dest) == sha256_file(os.path.join(work, 'big.bin')), 'file sha256')
    dest = os.path.join(work, 'down-user')
    cli('download', admin['_id'], dest)  # auto: user
    dest = os.path.join(work, 'down-path')
    cli('download', '/collection/gc-driver/data/tree', dest)  # a path: resource/lookup first
    expect(open(os.path.join(dest, 'inner', 'b.txt')).read() == 'beta\n', 'by path')
    return 'folder, collection, item, file and user ids and a resource path, each with the ' \
        'default --parent-type auto'


def jobs():
    try:
        gc.post('job', {'title': 'no scope', 'type': 't'})
        raise AssertionError('a user-auth token created a job')
    except HttpError as e:
        expect(e.status == 403, e.status)
    key = gc.post('api_key', {'name': 'jobs', 'scope': json.dumps(['jobs.rest.create_job'])})
    jc = GirderClient(apiUrl=api)
    jc.authenticate(apiKey=key['key'])
    job = jc.post('job', {'title': 'over REST', 'type': 'demo', 'handler': 'worker_handler',
                          'kwargs': json.dumps({'x': 1})})
    expect(job['status'] == 0 and job['title'] == 'over REST', job)
    for status in (1, 2):
        gc.put('job/%s' % job['_id'], {'status': status})
    job = gc.put('job/%s' % job['_id'], {'progressTotal': 10, 'progressCurrent': 4,
                                         'progressMessage': 'working', 'log': 'line 1\n'})
    total, current = job['progress']['total'], job['progress']['current']
    expect(isinstance(total, float) and isinstance(current, float), job['progress'])
    job = gc.put('job/%s' % job['_id'], {'status': 3})
    got = gc.get('job/%s' % job['_id'])
    expect(got['status'] == 3 and got['log'] == ['line 1\n'], got)
    try:
        gc.put('job/%s' % job['_id'], {'status': 2})
        raise AssertionError('SUCCESS -> RUNNING was accepted')
    except HttpError as e:
        expect(e.status == 400 and json.loads(e.responseText)['field'] == 'status', e.responseText)
    return 'POST /job with a jobs.rest.create_job key (user token -> 403); progress %r/%r; ' \
        'INACTIVE->QUEUED->RUNNING->SUCCESS, timestamps %s' % (
            current, total, [t['status'] for t in got['timestamps']])


def access_rootpath_describe():
    acl = gc.getFolderAccess(ctx['folder']['_id'])
    expect(acl['users'][0]['login'] == 'admin', acl)
    carol = next(u for u in gc.listUser() if u['login'] == 'carol')
    acl['users'].append({'id': carol['_id'], 'level': 1})
    gc.inheritAccessControlRecursive(ctx['folder']['_id'], access=acl, public=False)
    sub = gc.resourceLookup('/collection/gc-driver/data/sub')
    got = gc.getFolderAccess(sub['_id'])
    expect([(u['login'], u['level']) for u in got['users']] == [('admin', 2), ('carol', 1)], got)
    stamped = gc.setResourceTimestamp(ctx['item']['_id'], 'item', created='2020-01-02 03:04:05+00:00')
    expect(stamped['created'] == '2020-01-02T03:04:05+00:00', stamped['created'])
    root = gc.get('item/%s/rootpath' % ctx['item']['_id'])
    expect([r['type'] for r in root] == ['collection', 'folder'], root)
    desc = gc.getServerAPIDescription()
    expect(desc['swagger'] == '2.0' and '/system/version' in desc['paths'], list(desc))
    return 'access %s (inherited by sub); timestamp %s; rootpath %s; describe: %d paths' % (
        [(u['login'], u['level']) for u in got['users']], stamped['created'],
        [r['type'] for r in root], len(desc['paths']))


def cli_list():
    out = cli('list', ctx['folder']['_id'])
    expect('notes' in out.stdout and 'big.bin' in out.stdout, out.stdout)
    return '%d lines' % len(out.stdout.splitlines())


def injected_fault():
    import requests
    requests.post(info['control']['url'] + '/faults',
                  headers={'Girder-Test-Control': info['control']['token']},
                  json={'kind': 'fail', 'method': 'POST', 'path': '/file/chunk', 'status': 503})
    small = GirderClient(apiUrl=api)
    small.setToken(gc.token)
    small.MAX_CHUNK_SIZE = 6 * MiB
    try:
        small.uploadStreamToFolder(ctx['folder']['_id'], io.BytesIO(b'x' * 7 * MiB), 'f.bin', 7 * MiB)
        raise AssertionError('the fault did not fire')
    except HttpError as e:
        expect(e.status == 503, e.status)
    return 'POST /file/chunk -> HttpError 503 (fault set over the control route)'


def delete_collection():
    answer = gc.delete('collection/%s' % ctx['collection']['_id'])
    try:
        gc.getCollection(ctx['collection']['_id'])
        raise AssertionError('still there')
    except HttpError as e:
        expect(e.status == 400, e.status)
    return answer['message']


try:
    for name, fn in [
        ('authenticate(username, password)', login_password),
        ('authenticate(apiKey=...)', login_api_key),
        ('getServerVersion', server_version),
        ('createCollection / listCollection / getCollection', collections),
        ('createFolder / createItem / listFolder / listItem', folders_items),
        ('metadata round trips', metadata),
        ('uploadFileToFolder 50 MiB + downloadFile', upload_file_to_folder),
        ('uploadStreamToFolder 50 MiB (single POST and chunked)', upload_stream_to_folder),
        ('resourceLookup / resource path', resource_lookup),
        ('createUser / listUser', users),
        ('CLI upload, default parent type', cli_upload),
        ('CLI download, default parent type', cli_download),
        ('jobs created over REST', jobs),
        ('folder access / setResourceTimestamp / item rootpath / getServerAPIDescription',
         access_rootpath_describe),
        ('CLI list, default parent type', cli_list),
        ('injected fault seen by girder_client', injected_fault),
        ('DELETE collection', delete_collection),
    ]:
        step(name, fn)
finally:
    proc.stdin.close()
    proc.wait()
    import shutil
    shutil.rmtree(work, ignore_errors=True)

failed = [n for n, ok in results if not ok]
print('%d/%d passed' % (len(results) - len(failed), len(results)))
sys.exit(1 if failed else 0)
