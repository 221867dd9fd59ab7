import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  createRegistry,
  isSpecValidationError,
  MAX_SPEC_DEPTH,
  revive,
  SpecValidationError,
  serialize,
  TemporaryVolume,
  type Transform,
  VolumePath,
} from '../src/index.ts';
import { Probe } from './helpers.ts';

const registry = createRegistry([Probe]);

describe('serialize and revive', () => {
  it('keeps identity: a volume in the list and in a VolumePath stay one instance', () => {
    const scratch = new TemporaryVolume({ hostDir: '/var/tmp/gw' });
    const data = new BindMountVolume('/srv/data', '/mnt/data', 'ro');
    const spec = {
      volumes: [scratch, data],
      containerArgs: ['-i', new VolumePath('in.txt', data), '-o', new VolumePath('out.txt', scratch)],
      resultHooks: [new VolumePath('out.txt', scratch)],
    };
    const json = JSON.parse(JSON.stringify(serialize(spec)));
    expect(json.volumes[0]).toEqual({
      $transform: 'TemporaryVolume',
      $id: 1,
      hostDir: '/var/tmp/gw',
      mode: 'rw',
      dirMode: 0o777,
    });
    expect(json.containerArgs[3].volume).toEqual({ $ref: 1 });
    const back = revive(json, registry) as typeof spec;
    const [vScratch, vData] = back.volumes;
    expect(vScratch).toBeInstanceOf(TemporaryVolume);
    expect((back.containerArgs[1] as VolumePath).volume).toBe(vData);
    expect((back.containerArgs[3] as VolumePath).volume).toBe(vScratch);
    expect((back.resultHooks[0] as VolumePath).volume).toBe(vScratch);
    expect(serialize(back)).toEqual(json);
  });

  it('writes TemporaryVolume.default in full and revives the placeholder itself', () => {
    const json = serialize([TemporaryVolume.default, new VolumePath('a')]);
    expect(json).toEqual([
      { $transform: 'TemporaryVolume', default: true },
      { $transform: 'VolumePath', filename: 'a', volume: { $transform: 'TemporaryVolume', default: true } },
    ]);
    const back = revive(json, registry) as [TemporaryVolume, VolumePath];
    expect(back[0]).toBe(TemporaryVolume.default);
    expect(back[1].volume).toBe(TemporaryVolume.default);
  });

  it('rejects cycles and values JSON cannot carry, naming the path', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => serialize({ x: [cyclic] })).toThrow('x[0].self: expected no cycles');
    expect(() => serialize({ f: () => 1 })).toThrow('f: expected a JSON value, got a function');
    expect(() => serialize({ d: new Date(0) })).toThrow(
      'd: expected a plain object, array or transform, got a Date',
    );
    expect(() => serialize([Number.NaN])).toThrow('[0]: expected a finite number, got NaN');
    expect(() => serialize({ $transform: 'x' })).toThrow('$transform: expected no reserved "$" keys');
  });

  const malformed: [string, unknown, string][] = [
    [
      'an unknown kind',
      { $transform: 'Nope' },
      'spec.$transform: expected a known transform kind (BindMountVolume | Probe | TemporaryVolume | VolumePath), got "Nope"',
    ],
    [
      'a kind that is not a string',
      { $transform: 7 },
      'spec.$transform: expected a known transform kind (BindMountVolume | Probe | TemporaryVolume | VolumePath), got 7',
    ],
    [
      'a bad mode',
      { $transform: 'BindMountVolume', hostPath: '/a', containerPath: '/b', mode: 'rx' },
      'spec.mode: expected "rw" | "ro", got "rx"',
    ],
    [
      'a relative host path',
      { $transform: 'BindMountVolume', hostPath: 'a', containerPath: '/b' },
      'spec.hostPath: expected an absolute path, got "a"',
    ],
    [
      'a missing container path',
      { $transform: 'BindMountVolume', hostPath: '/a' },
      'spec.containerPath: expected an absolute path, got undefined',
    ],
    [
      'a numeric host path',
      { $transform: 'BindMountVolume', hostPath: 5, containerPath: '/b' },
      'spec.hostPath: expected an absolute path, got 5',
    ],
    [
      'a NUL in a host path',
      { $transform: 'BindMountVolume', hostPath: '/a\0', containerPath: '/b' },
      'spec.hostPath: expected an absolute path, got "/a\\u0000"',
    ],
    [
      'an absolute VolumePath',
      { $transform: 'VolumePath', filename: '/etc/passwd' },
      'spec.filename: expected a relative path inside the volume (it is absolute), got "/etc/passwd"',
    ],
    [
      'a VolumePath leaving its volume',
      { $transform: 'VolumePath', filename: 'a/../../b' },
      'spec.filename: expected a relative path inside the volume (it leaves its volume), got "a/../../b"',
    ],
    [
      'an empty VolumePath',
      { $transform: 'VolumePath', filename: '' },
      'spec.filename: expected a relative path inside the volume (it is empty), got ""',
    ],
    [
      'a VolumePath filename that is not a string',
      { $transform: 'VolumePath', filename: ['a'] },
      'spec.filename: expected a relative path, got an array of 1',
    ],
    [
      'a VolumePath on a non-volume',
      { $transform: 'VolumePath', filename: 'a', volume: { $transform: 'Probe', name: 'p' } },
      'spec.volume: expected a BindMountVolume transform, got a Probe transform',
    ],
    [
      'a VolumePath on a plain object',
      { $transform: 'VolumePath', filename: 'a', volume: { hostPath: '/a' } },
      'spec.volume: expected a BindMountVolume transform, got an object',
    ],
    [
      'a nested bad mode',
      {
        $transform: 'VolumePath',
        filename: 'a',
        volume: { $transform: 'BindMountVolume', hostPath: '/a', containerPath: '/b', mode: 'x' },
      },
      'spec.volume.mode: expected "rw" | "ro", got "x"',
    ],
    [
      'a relative hostDir',
      { $transform: 'TemporaryVolume', hostDir: 'tmp' },
      'spec.hostDir: expected an absolute path, got "tmp"',
    ],
    [
      'a bad dirMode',
      { $transform: 'TemporaryVolume', dirMode: 'rwx' },
      'spec.dirMode: expected an integer from 0 to 4095, got "rwx"',
    ],
    [
      'a dirMode out of range',
      { $transform: 'TemporaryVolume', dirMode: 99999 },
      'spec.dirMode: expected an integer from 0 to 4095, got 99999',
    ],
    [
      'a non-boolean default',
      { $transform: 'TemporaryVolume', default: 'yes' },
      'spec.default: expected true or false, got "yes"',
    ],
    ['a dangling $ref', { $ref: 3 }, 'spec.$ref: expected the $id of a transform written earlier, got 3'],
    [
      'a $ref that is not a number',
      { $ref: 'one' },
      'spec.$ref: expected the $id of a transform written earlier, got "one"',
    ],
    [
      'a duplicate $id',
      [
        { $transform: 'Probe', $id: 1, name: 'a' },
        { $transform: 'Probe', $id: 1, name: 'b' },
      ],
      'spec[1].$id: expected a unique integer id, got 1',
    ],
    [
      'a fractional $id',
      { $transform: 'Probe', $id: 1.5, name: 'a' },
      'spec.$id: expected a unique integer id, got 1.5',
    ],
    [
      'a missing field of a registered kind',
      { $transform: 'Probe' },
      'spec.name: expected a string, got undefined',
    ],
    [
      'a bad field deep in plain data',
      { args: [1, { x: { $transform: 'BindMountVolume', hostPath: '/a', containerPath: '/b', mode: 1 } }] },
      'spec.args[1].x.mode: expected "rw" | "ro", got 1',
    ],
  ];

  it.each(malformed)('rejects %s with a precise error', (_what, json, message) => {
    let caught: unknown;
    try {
      revive(json, registry, 'spec');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    expect(isSpecValidationError(caught)).toBe(true);
    expect((caught as Error).message).toBe(message);
  });

  it('truncates long values in errors', () => {
    expect(() => revive({ $transform: 'VolumePath', filename: `/${'x'.repeat(500)}` }, registry)).toThrow(
      /got "\/x{78}…"$/,
    );
  });
});

/** Random nested structures of plain data and transforms, with shared instances. */
const volumeArb = fc.oneof(
  fc
    .record({
      host: fc.stringMatching(/^\/[a-z]{1,8}$/),
      ctr: fc.stringMatching(/^\/[a-z]{1,8}$/),
      ro: fc.boolean(),
    })
    .map((v) => new BindMountVolume(v.host, v.ctr, v.ro ? 'ro' : 'rw') as Transform),
  fc.constant(TemporaryVolume.default as Transform),
  fc
    .option(fc.stringMatching(/^\/[a-z]{1,8}$/), { nil: undefined })
    .map((hostDir) => new TemporaryVolume(hostDir === undefined ? {} : { hostDir }) as Transform),
);

const specArb = fc
  .tuple(fc.array(volumeArb, { minLength: 1, maxLength: 4 }), fc.infiniteStream(fc.nat()))
  .chain(([volumes]) => {
    const leaf = fc.oneof(
      fc.string(),
      fc.integer(),
      // JSON has no -0 (it reads back as 0), so a spec never carries one.
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(...volumes),
      fc
        .tuple(fc.stringMatching(/^[a-z]{1,6}(\/[a-z]{1,6}){0,2}$/), fc.constantFrom(...volumes))
        .filter(([, v]) => v instanceof BindMountVolume)
        .map(([name, v]) => new VolumePath(name, v as BindMountVolume)),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    return fc.record({ volumes: fc.constant(volumes), args: tree });
  });

/** Structure with identity: which positions hold the same instance. */
function shape(value: unknown, ids = new Map<object, number>()): unknown {
  if (Array.isArray(value)) return value.map((v) => shape(v, ids));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown> & { toJSON?: () => Record<string, unknown>; kind?: string };
    if (typeof obj.toJSON === 'function' && typeof obj.kind === 'string') {
      if (!ids.has(obj)) ids.set(obj, ids.size);
      return { kind: obj.kind, identity: ids.get(obj), fields: shape(obj.toJSON(), ids) };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, shape(v, ids)]));
  }
  return value;
}

describe('round trips (property-based)', () => {
  it('serialize → JSON → revive keeps values and identity, and serializes back the same', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const json = JSON.parse(JSON.stringify(serialize(spec)));
        const back = revive(json, registry);
        expect(shape(back)).toEqual(shape(spec));
        const again = revive(JSON.parse(JSON.stringify(serialize(back))), registry);
        expect(serialize(again)).toEqual(json);
      }),
      { numRuns: 300 },
    );
  });
});

describe('strict revival', () => {
  it('refuses an unknown field inside a transform, naming its JSON path', () => {
    const json = {
      volumes: [{ $transform: 'BindMountVolume', hostPath: '/srv/d', containerPath: '/mnt/d', Mode: 'ro' }],
    };
    const error = (() => {
      try {
        revive(json, registry);
      } catch (e) {
        return e;
      }
    })() as SpecValidationError;
    expect(isSpecValidationError(error)).toBe(true);
    expect(error.path).toBe('volumes[0].Mode');
    expect(error.message).toBe(
      'volumes[0].Mode: expected no such field on a BindMountVolume (it has containerPath, hostPath, mode), got "ro"',
    );
  });

  it('refuses unknown fields in nested transforms and in the default volume placeholder', () => {
    expect(() =>
      revive(
        {
          args: [
            {
              $transform: 'VolumePath',
              filename: 'a',
              volume: { $transform: 'TemporaryVolume', default: true, hostDir: '/x' },
            },
          ],
        },
        registry,
      ),
    ).toThrow('args[0].volume.hostDir: expected no such field on a TemporaryVolume');
    expect(() => revive({ $transform: 'VolumePath', filename: 'a', flename: 'b' }, registry)).toThrow(
      'flename: expected no such field on a VolumePath (it has filename, volume), got "b"',
    );
  });

  it('refuses an unknown key in a docker-style volume entry', async () => {
    const { volumesFromObject } = await import('../src/index.ts');
    expect(() => volumesFromObject({ '/d': { bind: '/m', ro: true } })).toThrow(
      'volumes./d.ro: expected no such field on a volume (it has bind, mode), got true',
    );
  });

  it(`refuses JSON nested deeper than ${MAX_SPEC_DEPTH} levels with a SpecValidationError, not a RangeError`, () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 2000; i++) deep = [deep];
    const error = (() => {
      try {
        revive({ containerArgs: deep }, registry);
      } catch (e) {
        return e;
      }
    })() as SpecValidationError;
    expect(isSpecValidationError(error)).toBe(true);
    expect(error.message).toContain(`expected JSON nested at most ${MAX_SPEC_DEPTH} levels deep`);
    expect(error.message.length).toBeLessThan(400);
    let ok: unknown = 'x';
    for (let i = 0; i < MAX_SPEC_DEPTH - 2; i++) ok = [ok];
    expect(() => revive({ containerArgs: ok }, registry)).not.toThrow();
  });
});

describe('relative host paths', () => {
  const json = [
    { $transform: 'BindMountVolume', hostPath: 'data', containerPath: '/mnt/data' },
    { $transform: 'TemporaryVolume', hostDir: '../scratch' },
  ];

  it('are resolved against the baseDir given to revive, by the fields that are host paths', () => {
    const [volume, temporary] = revive(json, registry, { baseDir: '/srv/specs' }) as [
      BindMountVolume,
      TemporaryVolume,
    ];
    expect(volume.hostPath).toBe('/srv/specs/data');
    expect(volume.containerPath).toBe('/mnt/data');
    expect(temporary.hostDir).toBe('/srv/scratch');
  });

  it('are refused without a baseDir (a queued spec carries absolute paths)', () => {
    expect(() => revive(json, registry)).toThrow('[0].hostPath: expected an absolute path, got "data"');
    expect(() =>
      revive({ $transform: 'BindMountVolume', hostPath: '/abs', containerPath: 'rel' }, registry, {
        baseDir: '/b',
      }),
    ).toThrow('containerPath: expected an absolute path, got "rel"');
  });
});
