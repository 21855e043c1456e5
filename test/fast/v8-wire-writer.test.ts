import { deserialize, serialize } from 'node:v8';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { V8WireWriter } from '../../src/fast/v8-wire-writer.js';
import { ChangeLog } from '../../src/state/change-log.js';

/**
 * What v8.deserialize reads from the writer's bytes is what it reads from v8.serialize's (Object.is
 * on numbers, holes and prototypes compared); a value the writer leaves to v8.serialize gets its
 * very bytes.
 */
function sameAsV8(writer: V8WireWriter, x: unknown): boolean {
  if (writer.writePlain(x) === undefined) return writer.write(x).equals(serialize(x));
  return isDeepStrictEqual(deserialize(writer.write(x)), deserialize(serialize(x)));
}

/** Plain values: what the writer must write itself. */
const plain = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
    fc.boolean(),
    fc.constantFrom(null, undefined),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.oneof(fc.string(), fc.nat().map(String)), tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('V8WireWriter (plain values without a V8 serializer)', () => {
  it('writes plain values itself, and v8.deserialize reads them as it reads v8.serialize of the same value', () => {
    const writer = new V8WireWriter();
    fc.assert(
      fc.property(plain, (x) => {
        expect(writer.writePlain(x)).toBeDefined();
        expect(sameAsV8(writer, x)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('writes the bytes of v8.serialize where V8 holds integers as small integers and keys as strings', () => {
    const writer = new V8WireWriter();
    for (const x of [
      1.5,
      3,
      -7,
      0,
      2 ** 31 - 1,
      { n: 3, at: 1_704_067_200_000 },
      'abc',
      'é',
      '€',
      'a€',
      { a: 'x', b: [1.5, true, null] },
      [0.25, 'z', undefined],
      { k: { j: false } },
    ]) {
      expect(writer.write(x).equals(serialize(x))).toBe(true);
    }
  });

  it('leaves every other value to v8.serialize: Map, Set, Date, bigint, typed arrays, holes, class instances', () => {
    const writer = new V8WireWriter();
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withSparseArray: true,
          withNullPrototype: true,
        }),
        (x) => {
          expect(sameAsV8(writer, x)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
    class Point {
      constructor(readonly x: number) {}
    }
    const named = Object.assign([1, 2], { label: 'named' });
    const holey = [1, 2, 3];
    delete holey[1];
    for (const x of [
      new Map([[1, 2]]),
      new Set(['a']),
      new Date(5),
      10n,
      new Uint8Array([1, 2]),
      holey,
      new Point(2),
      named,
      { at: new Date(7) },
    ]) {
      expect(writer.writePlain(x)).toBeUndefined();
      expect(sameAsV8(writer, x)).toBe(true);
    }
  });

  it('keeps shared and cyclic references as v8.serialize does', () => {
    const writer = new V8WireWriter();
    const shared = { n: 1 };
    const twice = { a: shared, b: [shared] };
    expect(writer.writePlain(twice)).toBeUndefined();
    const decoded = deserialize(writer.write(twice)) as { a: object; b: object[] };
    expect(decoded.a).toBe(decoded.b[0]);
    const cycle: Record<string, unknown> = { name: 'c' };
    cycle.self = cycle;
    const back = deserialize(writer.write(cycle)) as Record<string, unknown>;
    expect(back.self).toBe(back);
  });

  it('grows its buffer for large values and reuses it after', () => {
    const writer = new V8WireWriter();
    const big = {
      text: 'x'.repeat(200_000),
      wide: '€'.repeat(50_000),
      list: Array.from({ length: 20 }, (_, i) => ({ i, s: 'é'.repeat(i) })),
    };
    expect(sameAsV8(writer, big)).toBe(true);
    expect(sameAsV8(writer, { small: 1 })).toBe(true);
  });

  it('throws what v8.serialize throws for values it cannot write', () => {
    const writer = new V8WireWriter();
    expect(() => writer.write({ f: () => 1 })).toThrow(/could not be cloned/);
    expect(() => writer.write(Symbol('s'))).toThrow();
  });

  it('a change log holds the values it encodes, whichever encoder took them', () => {
    const values: unknown[] = [
      [{ s: 1_704_067_200_000, e: 1_704_069_000_000, id: 3 }],
      new Map([['a', 1]]),
      'é',
      'Ā',
      1.5,
      'x'.repeat(70_000),
    ];
    const log = new ChangeLog();
    values.forEach((value, i) => log.put(`k${i}`, value));
    log.delete('gone');
    const changes = [...log.changes()];
    expect(changes.map((c) => c.key.toString())).toEqual([...values.map((_, i) => `k${i}`), 'gone']);
    changes.slice(0, values.length).forEach((change, i) => expect(deserialize(change.value!)).toEqual(values[i]));
    expect(changes.at(-1)!.value).toBeUndefined();
  });
});
