import { REDACT_URL_CASES } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../src/index.ts';

describe('redactUrl, the one URL-redaction policy', () => {
  // The same table tests the copy in @girder-worker/girder-client (which depends on nothing of ours).
  it.each(REDACT_URL_CASES)('shows %s as %s', (input, shown) => {
    expect(redactUrl(input)).toBe(shown);
  });

  it('takes a URL object as well as text', () => {
    expect(redactUrl(new URL('https://127.0.0.1/f?token=abc'))).toBe('https://127.0.0.1/f?token=***');
  });
});
