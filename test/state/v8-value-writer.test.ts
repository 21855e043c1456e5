import { isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../src/state/change-log.js';
import { encodedValue, writeCommonValue } from '../../src/state/v8-value-writer.js';

/** What v8.deserialize reads from the writer's bytes, or undefined when the writer left the value to v8.serialize. */
function written(value: unknown): { value: unknown } | undefined {
  const length = writeCommonValue(value);
  return length < 0 ? undefined : { value: deserialize(Buffer.from(encodedValue.subarray(0, length))) };
}

/** The shapes state values commonly take: numbers, Latin-1 strings, and small plain objects and arrays of them. */
const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)) });
const common = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1_704_067_200_000),
    latin1,
    fc.boolean(),
    fc.constantFrom(null, undefined),
    fc.array(tie('value'), { maxLength: 8 }),
    fc.dictionary(latin1, tie('value'), { maxKeys: 8, noNullPrototype: true }),
  ),
})).value;

describe('writeCommonValue (V8 serialization format without a serializer)', () => {
  it('encodes every common shape, and v8.deserialize reads back what it reads from v8.serialize', () => {
    fc.assert(
      fc.property(common, (value) => {
        const back = written(value);
        expect(back).toBeDefined();
        expect(isDeepStrictEqual(back!.value, deserialize(serialize(value)))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes a value only when it reads back the same: any other value is left to v8.serialize', () => {
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
        (value) => {
          const back = written(value);
          if (back !== undefined) expect(isDeepStrictEqual(back.value, deserialize(serialize(value)))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('leaves to v8.serialize what it cannot write the same: shared and cyclic objects, holes, named array properties, other classes', () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const named = Object.assign([1, 2], { extra: 3 });
    // eslint-disable-next-line no-sparse-arrays
    const holeAndNamed = Object.assign([, 1], { extra: 3 });
    for (const value of [
      [shared, shared],
      cyclic,
      named,
      holeAndNamed,
      new Date(0),
      new Map(),
      1n,
      'Ā',
      new (class Point {})(),
      Buffer.from('x'),
    ]) {
      expect(writeCommonValue(value)).toBe(-1);
    }
    expect(() => serialize(cyclic)).not.toThrow();
  });

  it('writes integers as V8 integers and every other number as a double', () => {
    expect(written(-0)!.value).toBe(-0);
    expect(Object.is(written(-0)!.value, -0)).toBe(true);
    expect(Buffer.from(encodedValue.subarray(0, writeCommonValue(7))).equals(serialize(7))).toBe(true);
    expect(Buffer.from(encodedValue.subarray(0, writeCommonValue(1.5))).equals(serialize(1.5))).toBe(true);
    expect(Buffer.from(encodedValue.subarray(0, writeCommonValue(['trip-7', true, null]))).equals(serialize(['trip-7', true, null]))).toBe(
      true,
    );
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
