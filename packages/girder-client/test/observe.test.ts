import { describe, expect, it } from 'vitest';
import { createGirderClient, type GirderRequestEvent } from '../src/index.ts';
import { rejection, useGirder } from './support.ts';

const girder = useGirder();

describe('onRequest', () => {
  it('tells every answer and every retry, by method and status, and nothing else', async () => {
    const { server } = girder;
    const events: GirderRequestEvent[] = [];
    const client = createGirderClient({
      apiUrl: server.apiUrl,
      token: server.admin.token,
      retry: { limit: 2, backoffLimitMs: 10 },
      onRequest: (event) => events.push(event),
    });
    server.faults.failNext({ path: '/user/me', status: 503 });
    await client.getMe();
    await rejection(client.getItem('000000000000000000000000'));
    expect(events).toEqual([
      { method: 'GET', status: 503, kind: 'answer' },
      { method: 'GET', status: 503, kind: 'retry' },
      { method: 'GET', status: 200, kind: 'answer' },
      { method: 'GET', status: 400, kind: 'answer' },
    ]);
    const unreachable: GirderRequestEvent[] = [];
    const offline = createGirderClient({
      apiUrl: 'http://127.0.0.1:9/api/v1',
      retry: { limit: 1, backoffLimitMs: 10 },
      onRequest: (event) => unreachable.push(event),
    });
    await rejection(offline.getMe());
    expect(unreachable).toEqual([{ method: 'GET', status: 'network', kind: 'retry' }]);
  });

  it('refuses an onRequest that is not a function, naming it', () => {
    expect(() => createGirderClient({ apiUrl: 'http://127.0.0.1:9/api/v1', onRequest: 7 as never })).toThrow(
      /onRequest: expected a function/,
    );
  });
});
