import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeStateValue } from '../../src/fast/serialize-state-value.js';
import { EncodedStateValue, encodeStateValue } from '../../src/state/state-change-collector.js';

/** Numbers the fast path takes: those v8 can only hold as heap numbers. */
const heapNumber = fc.oneof(
  fc.double().filter((x) => !(Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31)),
  fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 0.5, -1e-300),
);

describe('serializeStateValue (fast path of v8.serialize)', () => {
  it('writes the bytes of v8.serialize for every number it takes (heap numbers: epoch ms, fractions, ±Infinity, NaN)', () => {
    fc.assert(
      fc.property(heapNumber, (x) => {
        expect(serializeStateValue(x).equals(serialize(x))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('leaves numbers v8 may hold as small integers, -0 and every other value to v8.serialize: the same bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.constantFrom(-0, 0, 2 ** 31 - 1, -(2 ** 31))), (x) => {
        expect(serializeStateValue(x).equals(serialize(x))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }), (x) => {
        expect(serializeStateValue(x).equals(serialize(x))).toBe(true);
        expect(deserialize(serializeStateValue(x))).toEqual(deserialize(serialize(x)));
      }),
      { numRuns: 1000 },
    );
  });

  it('a small integer v8 holds as a double (a double field, a typed array read) still gets the bytes v8.serialize writes', () => {
    const field = { count: 0.5 };
    field.count = 3;
    const typed = new Float64Array([7])[0];
    for (const value of [field, field.count, typed, { ...field }]) expect(serializeStateValue(value).equals(serialize(value))).toBe(true);
  });

  it('throws what v8.serialize throws for values it cannot store', () => {
    expect(() => serializeStateValue({ f: () => 1 })).toThrow(/could not be cloned/);
    expect(() => serializeStateValue(Symbol('s'))).toThrow(/could not be cloned/);
  });

  it('encodeStateValue returns the bytes of an already encoded value as they are', () => {
    const encoded = new EncodedStateValue(serialize({ a: 1 }));
    expect(encodeStateValue(encoded)).toBe(encoded.bytes);
    expect(encodeStateValue(1.5).equals(serialize(1.5))).toBe(true);
  });
});
