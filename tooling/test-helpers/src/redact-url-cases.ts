/**
 * The cases of the workspace's one URL-redaction policy, as `[input, shown]` pairs. Both copies
 * of `redactUrl` (`@girder-worker/transforms`, and `@girder-worker/girder-client`, which depends
 * on nothing of ours) are tested against this table, so they cannot drift apart.
 */
export const REDACT_URL_CASES: readonly (readonly [input: string, shown: string])[] = [
  ['http://127.0.0.1/api/v1/item?token=abc&x=1', 'http://127.0.0.1/api/v1/item?token=***&x=1'],
  [
    'http://u:p@127.0.0.1/api/v1/item?token=abc&key=k&x=1',
    'http://u:***@127.0.0.1/api/v1/item?token=***&key=***&x=1',
  ],
  ['redis://:s3cret@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
  ['redis://worker:s3cr%40t@127.0.0.1', 'redis://worker:***@127.0.0.1'],
  ['amqp://guest:guest@127.0.0.1:5672//', 'amqp://guest:***@127.0.0.1:5672//'],
  ['https://ghp_abcdef123@127.0.0.1/repo.git', 'https://***@127.0.0.1/repo.git'],
  [
    'https://127.0.0.1/b/f?X-Amz-Credential=AK%2F1&X-Amz-Signature=abc&X-Amz-Security-Token=t&partNumber=2',
    'https://127.0.0.1/b/f?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***&partNumber=2',
  ],
  [
    'http://127.0.0.1/x?girderToken=a&apiKey=b&access_token=c&client_secret=d&password=e&limit=5',
    'http://127.0.0.1/x?girderToken=***&apiKey=***&access_token=***&client_secret=***&password=***&limit=5',
  ],
  ['http://127.0.0.1/x?token=a&token=b&name=a%20b+c', 'http://127.0.0.1/x?token=***&token=***&name=a%20b+c'],
  ['http://127.0.0.1/callback#access_token=abc', 'http://127.0.0.1/callback'],
  ['http://127.0.0.1:8080/api/v1', 'http://127.0.0.1:8080/api/v1'],
  ['not a url ?token=abc&x=1', 'not a url ?token=***&x=1'],
  ['http://user:secret@[bad/x?key=k&y=2', 'http://***@[bad/x?key=***&y=2'],
];
