import { REDACT_URL_CASES } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import { createRedactor, redactUrl } from '../src/redact.ts';

describe('the redaction helper', () => {
  // The same table tests redactUrl of @girder-worker/transforms: one policy, two copies.
  it.each(REDACT_URL_CASES)('shows %s as %s', (input, shown) => {
    expect(redactUrl(input)).toBe(shown);
  });

  it('masks each known secret in every spelling a server may echo, longest first', () => {
    const secrets = ['pa ss/w"rd', 'pa ss'];
    const redactor = createRedactor(() => secrets);
    const echoed = [
      'raw pa ss/w"rd',
      `uri ${encodeURIComponent('pa ss/w"rd')}`,
      `form ${new URLSearchParams({ p: 'pa ss/w"rd' })}`,
      `json ${JSON.stringify('pa ss/w"rd')}`,
    ].join('; ');
    expect(redactor.text(echoed)).toBe('raw ***; uri ***; form p=***; json "***"');
  });

  it('reads the secrets at each call, and leaves secrets too short to be told from text alone', () => {
    const secrets: string[] = [];
    const redactor = createRedactor(() => secrets);
    expect(redactor.text('token later-known')).toBe('token later-known');
    secrets.push('later-known', 'ab');
    expect(redactor.text('token later-known ab')).toBe('token *** ab');
  });

  it('copies an error as a safe cause: masked message and stack, code kept, nothing else', () => {
    const redactor = createRedactor(() => ['s3cret-value']);
    const inner = Object.assign(new Error('inner s3cret-value'), { code: 'ECONNRESET' });
    const outer = Object.assign(new Error('GET http://h/x?token=t s3cret-value', { cause: inner }), {
      request: { headers: { 'Girder-Token': 's3cret-value' } },
    });
    const copy = redactor.error(outer);
    expect(copy.message).toBe('GET http://h/x?token=*** ***');
    expect(copy.stack).not.toContain('s3cret-value');
    expect(copy).not.toHaveProperty('request');
    expect(copy.cause).toMatchObject({ message: 'inner ***', code: 'ECONNRESET' });
  });
});
