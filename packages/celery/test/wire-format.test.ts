import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromAmqpTable, toAmqpTable } from '../src/brokers/amqp-table.ts';
import { buildKombuEnvelope, parseKombuEnvelope, priorityList } from '../src/brokers/kombu-envelope.ts';
import { pythonJsonDumps } from '../src/brokers/python-json.ts';
import { readFixtureText } from './helpers.ts';

describe("Python's json.dumps spelling", () => {
  it('writes the separators, key order and escapes Python writes', () => {
    expect(pythonJsonDumps({ b: [1, null, true], a: { é: 'ü\n"' } })).toBe(
      '{"b": [1, null, true], "a": {"\\u00e9": "\\u00fc\\n\\""}}',
    );
    expect(pythonJsonDumps('😀\u007f/')).toBe('"\\ud83d\\ude00\\u007f/"');
    expect(pythonJsonDumps({ skipped: undefined, kept: [] })).toBe('{"kept": []}');
  });

  it('reads back as the same value for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(pythonJsonDumps(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

describe('kombu envelope', () => {
  it('parses the captured revoke payload and rebuilds it byte for byte', () => {
    const text = readFixtureText('revoke.redis.json');
    const parsed = parseKombuEnvelope(text);
    expect(JSON.parse(parsed.message.body.toString())).toMatchObject({ method: 'revoke' });
    const rebuilt = buildKombuEnvelope(
      { headers: parsed.message.headers, properties: {}, body: parsed.message.body },
      { exchange: parsed.exchange, routingKey: parsed.routingKey, deliveryTag: parsed.deliveryTag },
    );
    expect(rebuilt).toBe(text);
  });

  it('names the field that is wrong in a malformed element', () => {
    expect(() => parseKombuEnvelope('{"body": "e30=", "properties": {}}')).toThrow(
      'kombu envelope properties.delivery_tag: expected a string, got nothing',
    );
    expect(() => parseKombuEnvelope('[1]')).toThrow('kombu envelope: expected a JSON object');
    expect(() => parseKombuEnvelope('nope')).toThrow(
      expect.objectContaining({ code: 'GW_CELERY_MALFORMED_MESSAGE' }),
    );
  });

  it("files priorities on kombu's lists", () => {
    expect([0, 1, 2, 3, 5, 6, 8, 9].map((p) => priorityList('celery', p))).toEqual([
      'celery',
      'celery',
      'celery',
      'celery\x06\x163',
      'celery\x06\x163',
      'celery\x06\x166',
      'celery\x06\x166',
      'celery\x06\x169',
    ]);
  });
});

describe('AMQP header tables', () => {
  it('types values as py-amqp does and reads them back', () => {
    const headers = { n: 0, big: 2 ** 40, f: 1.5, s: 'x', v: null, t: true, a: [1, [null]], o: { k: -3 } };
    expect(toAmqpTable(headers)).toEqual({
      n: { '!': 'int', value: 0 },
      big: { '!': 'long', value: 2 ** 40 },
      f: { '!': 'double', value: 1.5 },
      s: 'x',
      v: null,
      t: true,
      a: [{ '!': 'int', value: 1 }, [null]],
      o: { k: { '!': 'int', value: -3 } },
    });
    expect(fromAmqpTable(toAmqpTable(headers))).toEqual(headers);
    expect(fromAmqpTable({ ts: { '!': 'timestamp', value: 5 }, b: Buffer.from('hi') })).toEqual({
      ts: 5,
      b: 'hi',
    });
  });
});
