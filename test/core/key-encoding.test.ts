import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey, keyIdentity, MAX_KEY_DEPTH, UnencodableKeyError } from '../../src/core/key-encoding.js';

/**
 * The key text of every version before keys were type-tagged (`keyToJson`), kept here as the
 * reference the new encoding must equal wherever the old one was unambiguous: those keys keep
 * their result ids.
 */
function legacyKeyText(key: unknown): string {
  if (typeof key === 'number') return Number.isFinite(key) ? String(key) : 'null';
  if (key === undefined) return 'undefined';
  if (typeof key === 'bigint') return `${key}n`;
  const text = JSON.stringify(key);
  return text === undefined ? String(key) : text;
}

/**
 * Independent definition of "the same key": what the encoding must be injective over. Numbers by
 * SameValueZero (`-0` is `0`, `NaN` is `NaN`), Dates by time, arrays element by element (a hole
 * is `undefined`), plain objects by their own enumerable string keys in order and their values.
 */
function sameKey(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (a !== a && b !== b);
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameKey(a[i], b[i])) return false;
    return true;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
    return ka.every((k) => sameKey((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

/** Every kind of value a key may be, nested. */
const scalarKey = fc.oneof(
  fc.string(),
  fc.constantFrom('', '\u0000', '\u0000"x"', 'null', 'NaN', 'undefined', '1', '12n', 'Date(0)', '{}', '[]', '\ud800'),
  fc.integer({ min: -20, max: 20 }),
  fc.double(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e21, 5e-7, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.oneof(fc.integer({ min: -1e13, max: 1e13 }), fc.constant(NaN)).map((ms) => new Date(ms)),
);
const anyKey: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  key: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarKey, tie('array'), tie('object')),
  array: fc.array(tie('key'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('__proto__', '0', '1', 'a"b')), tie('key'), { maxKeys: 4 }),
})).key;

describe('encodeKey', () => {
  it('is pinned for every kind of key', () => {
    const cases: Array<[unknown, string]> = [
      ['zone-7', '"zone-7"'],
      ['', '""'],
      [7, '7'],
      [-0, '0'],
      [0.5, '0.5'],
      [1e21, '1e+21'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
      [12n, '12n'],
      [-3n, '-3n'],
      [true, 'true'],
      [null, 'null'],
      [undefined, 'undefined'],
      [new Date(1_704_067_200_000), 'Date(1704067200000)'],
      [new Date(NaN), 'Date(NaN)'],
      [[1, 'a', null], '[1,"a",null]'],
      [[NaN, undefined, , new Date(0)], '[NaN,undefined,undefined,Date(0)]'], // eslint-disable-line no-sparse-arrays
      [{ zone: 1, vendor: 'a' }, '{"zone":1,"vendor":"a"}'],
      [{ at: undefined, n: 2n }, '{"at":undefined,"n":2n}'],
      [Object.assign(Object.create(null), { a: 1 }), '{"a":1}'],
    ];
    for (const [key, text] of cases) expect(encodeKey(key)).toBe(text);
  });

  it('keeps the text of every key the old encoding told apart: strings, numbers, plain JSON data', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.jsonValue()),
        (key) => {
          expect(encodeKey(key)).toBe(legacyKeyText(key));
        },
      ),
    );
    for (const key of [undefined, true, false, null, 12n, -5n]) expect(encodeKey(key)).toBe(legacyKeyText(key));
  });

  it('gives distinct keys distinct texts, and the same key one text (property)', () => {
    fc.assert(
      fc.property(anyKey, anyKey, (a, b) => {
        expect(encodeKey(a) === encodeKey(b)).toBe(sameKey(a, b));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(anyKey, (a) => {
        expect(encodeKey(a)).toBe(encodeKey(structuredClone(a)));
      }),
    );
  });

  it('tells apart the keys JSON confuses', () => {
    const confused = [
      null,
      NaN,
      Infinity,
      -Infinity,
      undefined,
      'null',
      new Date(0),
      new Date(0).toISOString(),
      12n,
      12,
      '12n',
      [null],
      [NaN],
      [undefined],
      {},
      { a: undefined },
    ];
    expect(new Set(confused.map(encodeKey)).size).toBe(confused.length);
  });

  it('refuses what cannot be a key, saying why', () => {
    class Trip {
      zone = 1;
    }
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_KEY_DEPTH; i++) deep = [deep];
    const cases: Array<[unknown, RegExp]> = [
      [() => 1, /a function cannot be a key/],
      [Symbol('k'), /a symbol \(Symbol\(k\)\) cannot be a key/],
      [new Map([[1, 2]]), /a Map \(a class instance\) cannot be a key/],
      [new Set(), /a Set \(a class instance\)/],
      [Buffer.from('ab'), /a Buffer \(a class instance\)/],
      [new Trip(), /a Trip \(a class instance\)/],
      [new String('a'), /a String \(a class instance\)/],
      [{ zone: new Map() }, /a Map/],
      [{ at: () => 1 }, /a function/],
      [cycle, /a key cannot contain itself \(a cycle\)/],
      [deep, /deeper than 64 levels/],
    ];
    for (const [key, reason] of cases) {
      expect(() => encodeKey(key)).toThrow(UnencodableKeyError);
      expect(() => encodeKey(key)).toThrow(reason);
      expect(() => keyIdentity(key)).toThrow(UnencodableKeyError);
    }
    // A shared (not cyclic) object is fine.
    const shared = { z: 1 };
    expect(encodeKey([shared, shared])).toBe('[{"z":1},{"z":1}]');
  });
});

describe('decodeKey', () => {
  it('reads back a key with the same text (property)', () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const text = encodeKey(key);
        const back = decodeKey(text);
        expect(encodeKey(back)).toBe(text);
        expect(sameKey(back, key)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps an own __proto__ property an own property', () => {
    const key = JSON.parse('{"__proto__":1,"a":2}') as unknown;
    const back = decodeKey(encodeKey(key)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('refuses a text no key has', () => {
    for (const text of ['', 'nul', '"a', '[1,', '{"a"}', '{a:1}', '1.5n', 'Date(1.5)', 'Date(1', '01', '1 ', '[1]]', 'Infinityx']) {
      expect(() => decodeKey(text), text).toThrow(SyntaxError);
    }
  });
});

describe('keyIdentity', () => {
  it('equals in a Map exactly when the texts are equal (property)', () => {
    fc.assert(
      fc.property(anyKey, anyKey, (a, b) => {
        const map = new Map([[keyIdentity(a), 1]]);
        expect(map.has(keyIdentity(b))).toBe(encodeKey(a) === encodeKey(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('is the key itself for primitives', () => {
    for (const key of [7, 'a', true, null, undefined, 5n]) expect(keyIdentity(key)).toBe(key);
    expect(Number.isNaN(keyIdentity(NaN))).toBe(true);
  });
});
