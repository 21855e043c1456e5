import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_SAFE_MAX_DEPTH, jsonSafeValue } from '../../src/sinks/json-safe-value.js';

/** `JSON.stringify(x)`, or undefined when it throws. */
function jsonOrThrow(x: unknown): { text: string | undefined } | undefined {
  try {
    return { text: JSON.stringify(x) };
  } catch {
    return undefined;
  }
}

/** An object nested `depth` levels deep: `{ d: { d: … { d: 0 } } }`. */
function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
  maxDepth: 4,
});

describe('jsonSafeValue', () => {
  it('property: JSON writes it as it writes the value itself, for any value JSON can write', () => {
    fc.assert(
      fc.property(anything, (x) => {
        const plain = jsonOrThrow(x);
        if (plain !== undefined) expect(JSON.stringify(jsonSafeValue(x))).toBe(plain.text);
      }),
      { numRuns: 3000 },
    );
    for (const x of [
      new Date(0),
      { toJSON: (key: string) => `under ${JSON.stringify(key)}` },
      [undefined, () => 1, Symbol('s')],
      -0,
      NaN,
      'é\ud800',
    ]) {
      expect(JSON.stringify(jsonSafeValue(x))).toBe(JSON.stringify(x));
      expect(JSON.stringify(jsonSafeValue({ k: x }))).toBe(JSON.stringify({ k: x }));
    }
  });

  it('property: JSON never fails on it, whatever the value holds (bigints, cycles, throwing getters)', () => {
    fc.assert(
      fc.property(anything, fc.boolean(), (x, cyclic) => {
        const value = cyclic && typeof x === 'object' && x !== null && !Object.isFrozen(x) ? Object.assign(x, { self: x }) : x;
        expect(() => JSON.parse(JSON.stringify(jsonSafeValue(value)) ?? 'null')).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });

  it('renders bigints as digits, references back to an enclosing object, and what cannot be read', () => {
    const raw: Record<string, unknown> = { id: 12n, list: [1n, { n: -3n }] };
    raw.self = raw;
    raw.pair = [raw, { back: raw }];
    const shared = { s: 1 };
    raw.twice = [shared, shared];
    Object.defineProperty(raw, 'broken', {
      enumerable: true,
      get() {
        throw new RangeError('no access');
      },
    });
    raw.badJson = {
      toJSON() {
        throw Object.create(null);
      },
    };
    expect(jsonSafeValue(raw)).toEqual({
      id: '12',
      list: ['1', { n: '-3' }],
      self: '[circular]',
      pair: ['[circular]', { back: '[circular]' }],
      twice: [{ s: 1 }, { s: 1 }],
      broken: '[unreadable: RangeError: no access]',
      badJson: '[unreadable: thrown value: {}]',
    });
    expect(jsonSafeValue(Object(5n))).toBe('5');
    // An own property named __proto__ (JSON.parse makes one) stays a property of the copy.
    expect(JSON.stringify(jsonSafeValue(JSON.parse('{"__proto__":{"x":1}}')))).toBe('{"__proto__":{"x":1}}');
  });

  it('cuts nesting deeper than its limit, and a 100,000-deep value costs no stack overflow', () => {
    const deep = nested(100_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const text = JSON.stringify(jsonSafeValue(deep));
    expect(text.startsWith('{"d":'.repeat(JSON_SAFE_MAX_DEPTH))).toBe(true);
    expect(text).toContain('"[too deep]"');
    expect(JSON.stringify(jsonSafeValue(nested(JSON_SAFE_MAX_DEPTH)))).toBe(JSON.stringify(nested(JSON_SAFE_MAX_DEPTH)));
  });
});
