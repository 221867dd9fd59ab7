import { describe, expect, it } from 'vitest';
import {
  type Logger,
  REDACTED,
  redactingLogger,
  redactSecrets,
  redactValue,
  SecretRegistry,
} from '../src/index.ts';

const TOKEN = 'Zq8Kx2Lm9Pv4Rt6Yw1';

describe('SecretRegistry', () => {
  it('masks every occurrence of a secret, as is, URL-encoded and JSON-escaped', () => {
    const secrets = new SecretRegistry();
    const odd = 'p@ss/w"rd+1';
    secrets.add(TOKEN);
    secrets.add(odd);
    const text = `Girder-Token: ${TOKEN}\n?token=${TOKEN}&key=${encodeURIComponent(odd)} ${JSON.stringify({ password: odd })} again ${TOKEN}`;
    const out = secrets.redact(text);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(odd);
    expect(out).not.toContain(encodeURIComponent(odd));
    expect(out).not.toContain(JSON.stringify(odd).slice(1, -1));
    expect(out.split(REDACTED)).toHaveLength(6);
    expect(out).toContain('Girder-Token: ***\n?token=***&key=*** {"password":"***"} again ***');
  });

  it('masks Basic-auth credentials in their base64 header form and URL credentials', () => {
    const secrets = new SecretRegistry();
    secrets.addBasicAuth('admin', 'hunter2-long');
    secrets.addUrlCredentials('redis://worker:s3cr%40t-pw@127.0.0.1:6379/0');
    const header = `Authorization: Basic ${Buffer.from('admin:hunter2-long').toString('base64')}`;
    expect(secrets.redact(header)).toBe('Authorization: Basic ***');
    expect(secrets.redact('password hunter2-long')).toBe('password ***');
    expect(secrets.redact('AUTH s3cr@t-pw failed')).toBe('AUTH *** failed');
    expect(secrets.redact('redis://worker:s3cr%40t-pw@127.0.0.1')).toBe('redis://worker:***@127.0.0.1');
  });

  it('masks a longer secret whole when it contains a shorter one', () => {
    const secrets = new SecretRegistry();
    secrets.add('abcd');
    secrets.add('abcd-efgh-ijkl');
    expect(secrets.redact('x abcd-efgh-ijkl y abcd z')).toBe('x *** y *** z');
  });

  it('ignores empty, absent and too short values, and leaves text alone when it knows nothing', () => {
    const secrets = new SecretRegistry();
    secrets.add(undefined);
    secrets.add('');
    secrets.add('ab');
    expect(secrets.size).toBe(0);
    expect(secrets.redact('ab abc')).toBe('ab abc');
  });

  it('forgets a secret once every registration of it is removed', () => {
    const secrets = new SecretRegistry();
    const first = secrets.add(TOKEN);
    const second = secrets.add(TOKEN);
    first();
    first();
    expect(secrets.redact(TOKEN)).toBe(REDACTED);
    second();
    expect(secrets.redact(TOKEN)).toBe(TOKEN);
    expect(secrets.size).toBe(0);
  });
});

describe('redactSecrets, redactValue, redactingLogger', () => {
  it('masks a list of secrets in one call', () => {
    expect(redactSecrets(`a ${TOKEN} b`, [TOKEN, undefined])).toBe('a *** b');
  });

  it('masks strings anywhere in plain data and keeps everything else', () => {
    const secrets = new SecretRegistry();
    secrets.add(TOKEN);
    const when = new Date(0);
    const value = { message: `token ${TOKEN}`, nested: [{ deep: TOKEN }, 3, null], when };
    const out = redactValue(value, secrets);
    expect(out).toEqual({ message: 'token ***', nested: [{ deep: '***' }, 3, null], when });
    expect(out.when).toBe(when);
    expect(value.message).toContain(TOKEN);
  });

  it('masks messages and context before they reach the logger', () => {
    const lines: string[] = [];
    const sink: Logger = {
      debug: (m, c) => lines.push(`debug ${m} ${JSON.stringify(c)}`),
      info: (m, c) => lines.push(`info ${m} ${JSON.stringify(c)}`),
      warn: (m, c) => lines.push(`warn ${m} ${JSON.stringify(c)}`),
      error: (m, c) => lines.push(`error ${m} ${JSON.stringify(c)}`),
    };
    const secrets = new SecretRegistry();
    const logger = redactingLogger(sink, secrets);
    secrets.add(TOKEN);
    logger.warn(`failed with ${TOKEN}`, { error: `Girder-Token: ${TOKEN}` });
    logger.error('plain');
    expect(lines).toEqual(['warn failed with *** {"error":"Girder-Token: ***"}', 'error plain undefined']);
  });
});
