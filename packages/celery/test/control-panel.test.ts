import { describe, expect, it } from 'vitest';
import { LamportClock } from '../src/control/lamport-clock.ts';
import { isForNode } from '../src/control/mailbox.ts';
import { RevokedSet } from '../src/control/revoked-set.ts';
import { notRegistered, resultMeta } from '../src/results/result-meta.ts';

describe('mailbox destination filter (kombu Node.handle_message)', () => {
  it('obeys a destination list, a glob or pcre pattern, or everyone', () => {
    const node = 'girder-worker-1@host-a';
    expect(isForNode({ destination: null }, node)).toBe(true);
    expect(isForNode({ destination: ['celery@x'] }, node)).toBe(false);
    expect(isForNode({ destination: ['celery@x', node] }, node)).toBe(true);
    expect(isForNode({ pattern: 'girder-worker-*@host-?', matcher: 'glob' }, node)).toBe(true);
    expect(isForNode({ pattern: 'celery@*', matcher: 'glob' }, node)).toBe(false);
    expect(isForNode({ pattern: '^girder-worker-\\d+@', matcher: 'pcre' }, node)).toBe(true);
    expect(isForNode({ pattern: '(', matcher: 'pcre' }, node)).toBe(false);
  });
});

describe('Lamport clock and revoked set', () => {
  it('adjusts to max + 1 and forwards by one', () => {
    const clock = new LamportClock();
    expect(clock.adjust(10)).toBe(11);
    expect(clock.adjust(3)).toBe(12);
    expect(clock.adjust('x')).toBe(13);
    expect(clock.forward()).toBe(14);
  });

  it('forgets the oldest ids past its size and gives float timestamps for Python', () => {
    const revoked = new RevokedSet(2);
    revoked.add('a', 1_700_000_000_000);
    revoked.add('b');
    revoked.add('c');
    expect(revoked.ids()).toEqual(['b', 'c']);
    expect(revoked.has('a')).toBe(false);
    const data = revoked.toJSON();
    for (const at of Object.values(data)) expect(Number.isInteger(at)).toBe(false);
  });

  it('forgets ids older than its expiry', () => {
    const revoked = new RevokedSet(10, 1000);
    revoked.add('old', Date.now() - 5000);
    revoked.add('new');
    expect(revoked.ids()).toEqual(['new']);
  });
});

describe('result meta', () => {
  it('maps outcomes to what Celery stores', () => {
    expect(resultMeta({ status: 'SUCCESS', result: [null] })).toEqual({
      status: 'SUCCESS',
      result: [null],
      traceback: null,
    });
    expect(resultMeta({ status: 'SKIPPED', reason: 'final' })).toBeUndefined();
    expect(resultMeta({ status: 'REVOKED' })?.result).toEqual({
      exc_type: 'TaskRevokedError',
      exc_message: ['revoked'],
      exc_module: 'celery.exceptions',
    });
    expect(notRegistered('x.y').result).toEqual({
      exc_type: 'NotRegistered',
      exc_message: ["'x.y'"],
      exc_module: 'celery.exceptions',
    });
  });
});

describe('worker options', () => {
  it('refuses broker-connection options next to an already connected broker', async () => {
    const { normalizeWorkerOptions } = await import('../src/index.ts');
    const broker = { transport: 'redis' } as never;
    const handler = async () => ({ status: 'REVOKED' }) as const;
    expect(() => normalizeWorkerOptions({ broker, handler, visibilityTimeoutMs: 5 })).toThrow(
      'options.visibilityTimeoutMs: expected nothing when broker is a connected broker',
    );
    expect(normalizeWorkerOptions({ broker, handler }).queues).toEqual(['celery']);
    expect(() => normalizeWorkerOptions({ broker: 'redis://x', handler, queues: ['celery', ''] })).toThrow(
      'options.queues[1]: expected a non-empty string, got ""',
    );
    expect(() => normalizeWorkerOptions({ broker: 'redis://x', handler, nodeName: 'nohost' })).toThrow(
      `options.nodeName: expected 'name@host', got "nohost"`,
    );
  });
});
