import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeJsonPickle,
  decodeJsonPickleText,
  encodeJsonPickle,
  isJsonPickleError,
  PyBytes,
  PyDatetime,
  type PyDict,
  PyObject,
  PyObjectId,
  PyReduce,
  PyTuple,
  PyType,
  type PyValue,
} from '../src/index.ts';
import { type OrderedJson, parseOrderedJson } from '../src/jsonpickle/ordered-json.ts';
import { amqpMessage, CASES, redisMessage } from './fixture-messages.ts';

function dict(entries: Record<string, PyValue>): PyDict {
  return Object.assign(Object.create(null) as PyDict, entries);
}

/** Arbitrary decoded values with shared nodes, so back-references occur. */
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string(),
  fc.uint8Array({ maxLength: 16 }).map((b) => new PyBytes(b)),
  fc.stringMatching(/^[0-9a-f]{24}$/).map((hex) => new PyObjectId(hex)),
  fc.stringMatching(/^[a-z_]+\.[A-Za-z_]+$/).map((name) => new PyType(name)),
);
const { tree } = fc.letrec<{ tree: PyValue }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.array(tie('tree'), { maxLength: 4 }).map((items) => new PyTuple(items)),
    fc
      .dictionary(
        fc.string().filter((k) => !k.startsWith('py/')),
        tie('tree'),
        { maxKeys: 4 },
      )
      .map((d) => dict(d)),
    fc
      .record({
        name: fc.stringMatching(/^[a-z]+\.[A-Z][a-z]+$/),
        attributes: fc.dictionary(fc.stringMatching(/^_?[a-z]+$/), tie('tree'), { maxKeys: 3 }),
      })
      .map(({ name, attributes }) => new PyObject(name, dict(attributes))),
  ),
}));

/** Puts one shared node in several places (a list of the same object several times). */
const withSharing = fc.tuple(tree, fc.integer({ min: 2, max: 4 })).map(([shared, times]) => {
  const holder = new PyObject('m.Shared', dict({ value: shared }));
  return new PyTuple([Array.from({ length: times }, () => holder), dict({ again: holder })]);
});

function roundTrip(value: PyValue): PyValue {
  return decodeJsonPickleText(JSON.stringify(encodeJsonPickle(value)));
}

describe('jsonpickle decoding of the captured messages', () => {
  it.each(CASES)('decodes the body and every result hook of %s (Redis and AMQP)', (name) => {
    for (const message of [redisMessage(name), amqpMessage(name)]) {
      const body = decodeJsonPickleText(message.body.toString('utf8'), 'body');
      expect(body).toBeInstanceOf(PyTuple);
      const [args, kwargs, embed] = (body as PyTuple).items;
      expect(args).toBeInstanceOf(PyTuple);
      expect((args as PyTuple).items[0]).toBe('my/image');
      expect(Object.keys(kwargs as PyDict)).toContain('container_args');
      expect(embed).toEqual(dict({ callbacks: null, errbacks: null, chain: null, chord: null }));
      const hooks = (message.headers.girder_result_hooks ?? []) as unknown[];
      hooks.forEach((hook, i) => {
        expect(decodeJsonPickle(hook, `girder_result_hooks[${i}]`)).toBeInstanceOf(PyObject);
      });
    }
  });

  it('resolves py/id 3 of case 03 to the one BindMountVolume shared by VolumePath, container_args and volumes', () => {
    const body = decodeJsonPickleText(redisMessage('03-bindmount-volumepath').body.toString()) as PyTuple;
    const kwargs = body.items[1] as PyDict;
    const args = kwargs.container_args as PyValue[];
    const volumePath = args[1] as PyObject;
    const volume = volumePath.attributes._volume as PyObject;
    expect(volume.className).toBe('girder_worker.docker.transforms.BindMountVolume');
    expect(args[3]).toBe(volume);
    expect((kwargs.volumes as PyValue[])[0]).toBe(volume);
  });

  it('re-encodes every captured body to the same JSON', () => {
    for (const name of CASES) {
      const text = redisMessage(name).body.toString('utf8');
      expect(encodeJsonPickle(decodeJsonPickleText(text))).toEqual(JSON.parse(text));
    }
  });

  it('counts a py/object, a list and a dict but not a tuple, type or the __dict__ of a dict subclass', () => {
    // DeviceRequest (case 08's shape): its __dict__ is not numbered, so py/id 3 is the list after it.
    const text = JSON.stringify({
      'py/tuple': [
        {
          device_requests: [
            {
              'py/object': 'docker.types.containers.DeviceRequest',
              Driver: '',
              Count: -1,
              DeviceIDs: [],
              Capabilities: [['gpu']],
              Options: {},
              __dict__: {},
            },
          ],
          again: { 'py/id': 6 },
          tuple: { 'py/tuple': [{ 'py/type': 'x.Y' }] },
          shared: ['s'],
          ref: { 'py/id': 7 },
        },
      ],
    });
    const decoded = decodeJsonPickleText(text) as PyTuple;
    const kwargs = decoded.items[0] as PyDict;
    const request = (kwargs.device_requests as PyValue[])[0] as PyObject;
    // 0 kwargs, 1 device_requests, 2 DeviceRequest, 3 DeviceIDs, 4 Capabilities, 5 ['gpu'], 6 Options
    expect(kwargs.again).toBe(request.attributes.Options);
    expect(kwargs.ref).toBe(kwargs.shared);
    expect(encodeJsonPickle(decoded)).toEqual(JSON.parse(text));
  });

  it('keeps document key order for integer-like keys when numbering', () => {
    const text = '{"b": {"x": 1}, "10": {"y": 2}, "r": {"py/id": 1}}';
    const decoded = decodeJsonPickleText(text) as PyDict;
    expect(decoded.r).toBe(decoded.b);
  });

  it('decodes a bson ObjectId and an aware datetime, and re-encodes them', () => {
    const text = JSON.stringify([
      { 'py/object': 'bson.objectid.ObjectId', 'py/state': { 'py/b64': 'ZfChssPU5fYBI0Vn' } },
      {
        'py/object': 'datetime.datetime',
        __reduce__: [
          { 'py/type': 'datetime.datetime' },
          [
            'B+gDDw8fLwABAg==',
            {
              'py/reduce': [
                { 'py/type': 'datetime.timezone' },
                {
                  'py/tuple': [
                    { 'py/reduce': [{ 'py/type': 'datetime.timedelta' }, { 'py/tuple': [0, 0, 0] }] },
                  ],
                },
              ],
            },
          ],
        ],
      },
      { 'py/id': 1 },
      { 'py/id': 3 },
    ]);
    const [id, when, sameId, tz] = decodeJsonPickleText(text) as PyValue[];
    expect(id).toEqual(new PyObjectId('65f0a1b2c3d4e5f601234567'));
    expect(sameId).toBe(id);
    expect(when).toBeInstanceOf(PyDatetime);
    expect((when as PyDatetime).toISOString()).toBe('2024-03-15T15:31:47.000258+00:00');
    expect(tz).toBeInstanceOf(PyReduce);
    expect(encodeJsonPickle(decodeJsonPickleText(text))).toEqual(JSON.parse(text));
  });

  it('reads a py/object whatever the order of its tags', () => {
    const text = '{"py/state": {"py/b64": "ZfChssPU5fYBI0Vn"}, "py/object": "bson.objectid.ObjectId"}';
    expect(decodeJsonPickleText(text)).toEqual(new PyObjectId('65f0a1b2c3d4e5f601234567'));
  });

  it("reads Python's NaN and Infinity float literals", () => {
    expect(decodeJsonPickleText('[NaN, Infinity, -Infinity, 1.5e3]')).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1500,
    ]);
  });

  it('resolves reused datetimes and ObjectIds inside a pickled Girder job document (case 09 shape)', () => {
    const created = {
      'py/object': 'datetime.datetime',
      __reduce__: [{ 'py/type': 'datetime.datetime' }, ['B+gDDw8fLwABAg==']],
    };
    const hook = {
      'py/object': 'girder_worker.docker.transforms.girder.GirderUploadVolumePathJobArtifact',
      job: {
        _id: { 'py/object': 'bson.objectid.ObjectId', 'py/state': { 'py/b64': 'ZfChssPU5fYBI0Vn' } },
        created,
        updated: { 'py/id': 3 },
        userId: { 'py/object': 'bson.objectid.ObjectId', 'py/state': { 'py/b64': 'ZfChssPU5fYBI0Vn' } },
        access: { users: [{ id: { 'py/id': 4 }, level: 2 }] },
      },
    };
    // 0 hook, 1 job, 2 _id, 3 created, 4 userId, 5 access, 6 users, 7 users[0]
    const decoded = decodeJsonPickle(hook) as PyObject;
    const job = decoded.attributes.job as PyDict;
    expect(job.updated).toBe(job.created);
    expect(job.created).toBeInstanceOf(PyDatetime);
    expect((job.created as PyDatetime).utcOffsetSeconds).toBeNull();
    const users = (job.access as PyDict).users as PyDict[];
    expect(users[0]?.id).toBe(job.userId);
    expect(encodeJsonPickle(decoded)).toEqual(hook);
  });

  it('refuses a dangling py/id and an unsupported tag, naming the JSON path', () => {
    const dangling = (): unknown => decodeJsonPickleText('{"a": [{"py/id": 5}]}', 'body');
    expect(dangling).toThrow(/body\.a\[0\]: py\/id 5 refers to no earlier object/);
    const fn = (): unknown => decodeJsonPickleText('{"x": {"py/function": "os.system"}}', 'body');
    expect(fn).toThrow(/body\.x\["py\/function"\]: the jsonpickle tag "py\/function" is not supported/);
    try {
      fn();
    } catch (error) {
      expect(isJsonPickleError(error)).toBe(true);
    }
    expect(() => decodeJsonPickleText('{"a": ', 'body')).toThrow(/malformed JSON/);
  });
});

function plain(value: OrderedJson): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) {
      Object.defineProperty(out, key, {
        value: plain(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

describe('jsonpickle round trips (property)', () => {
  it('the order-keeping parser reads any JSON as JSON.parse does, and refuses what it refuses', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(plain(parseOrderedJson(text))).toEqual(JSON.parse(text));
      }),
    );
    for (const bad of ['{', '[1,]', '{"a" 1}', '01', '"\\x"', 'tru', '{} x']) {
      expect(() => JSON.parse(bad)).toThrow();
      expect(() => parseOrderedJson(bad)).toThrow(/malformed JSON/);
    }
  });

  it('decodes text the same on its fast path (JSON.parse) as through the order-keeping parser', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        let slow: unknown;
        let fast: unknown;
        try {
          slow = decodeJsonPickle(parseOrderedJson(text));
        } catch (error) {
          slow = String(error);
        }
        try {
          fast = decodeJsonPickleText(text);
        } catch (error) {
          fast = String(error);
        }
        expect(fast).toEqual(slow);
      }),
    );
  });

  it('refuses to encode an attribute that would read as a tag', () => {
    const object = new PyObject('m.C', dict({ 'py/id': 1 }));
    expect(() => encodeJsonPickle(object)).toThrow(/attribute name may not start with "py\/"/);
  });

  it('decode(encode(v)) equals v', () => {
    fc.assert(
      fc.property(tree, (value) => {
        expect(roundTrip(value)).toEqual(value);
      }),
    );
  });

  it('keeps back-reference identity: a shared node decodes to one object', () => {
    fc.assert(
      fc.property(withSharing, (value) => {
        const decoded = roundTrip(value) as PyTuple;
        const list = decoded.items[0] as PyValue[];
        for (const item of list) expect(item).toBe(list[0]);
        expect((decoded.items[1] as PyDict).again).toBe(list[0]);
        expect(JSON.stringify(encodeJsonPickle(value))).toContain('"py/id"');
      }),
    );
  });

  it('encodes what it decodes to the same JSON (encode ∘ decode is the identity on encoder output)', () => {
    fc.assert(
      fc.property(tree, (value) => {
        const json = encodeJsonPickle(value);
        expect(encodeJsonPickle(decodeJsonPickleText(JSON.stringify(json)))).toEqual(json);
      }),
    );
  });
});
