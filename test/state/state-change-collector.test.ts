import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import { EncodedStateValue, encodeStateValue, StateChangeCollector } from '../../src/state/state-change-collector.js';

describe('StateChangeCollector', () => {
  it('encodes a value when it is put, so later mutation of live state does not leak into the checkpoint', () => {
    const writer = new StateChangeCollector('3-window', false);
    const acc = { count: 1, seen: new Map([['a', 1]]) };
    writer.put('k', acc);
    acc.count = 2;
    acc.seen.set('b', 2);
    const stored = writer.changes().puts.get('k') as EncodedStateValue;
    expect(stored).toBeInstanceOf(EncodedStateValue);
    expect(deserialize(stored.bytes)).toEqual({ count: 1, seen: new Map([['a', 1]]) });
    expect(encodeStateValue(stored)).toBe(stored.bytes);
    expect(writer.bytes).toBe(stored.bytes.length + 1);
  });

  it('lets the last put or delete of a key win, and keeps no deletes in a full snapshot', () => {
    const writer = new StateChangeCollector('op', false);
    writer.put('a', 1);
    writer.delete('a');
    writer.delete('b');
    writer.put('b', 2);
    expect([...writer.changes().puts.keys()]).toEqual(['b']);
    expect([...writer.changes().deletes]).toEqual(['a']);
    expect(writer.size).toBe(2);
    const full = new StateChangeCollector('op', true);
    full.put('a', 1);
    full.delete('a');
    full.delete('z');
    expect(full.changes()).toEqual({ puts: new Map(), deletes: new Set(), full: true });
  });

  it('names the operator and the key of a value that cannot be stored', () => {
    const writer = new StateChangeCollector('4-window', false);
    let error: unknown;
    try {
      writer.put('1/w/k', { merge: () => 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('STATE_CORRUPT');
    expect((error as Error).message).toMatch(/operator 4-window .* under "1\/w\/k" that cannot be serialized/);
    expect(() => writer.put(7 as never, 1)).toThrow(TypeError);
  });
});

describe('encodeStateValue', () => {
  it('encodes what v8.deserialize reads back unchanged, numbers by the shortcut included (property)', async () => {
    const fc = (await import('fast-check')).default;
    const { serialize } = await import('node:v8');
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger(), fc.constantFrom(NaN, -0, Infinity, -Infinity)), (x) => {
        const bytes = encodeStateValue(x);
        expect(Object.is(deserialize(bytes), x)).toBe(true);
        // The same layout as v8's own double encoding (v8 writes small integers shorter).
        expect(bytes.subarray(0, 3).equals(serialize(0.5).subarray(0, 3))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.anything(), (x) => {
        expect(deserialize(encodeStateValue(x))).toEqual(deserialize(serialize(x)));
      }),
    );
  });
});

describe('encodeStateValue, flat accumulators', () => {
  it('encodes flat objects of numbers, strings, booleans and null so that v8.deserialize reads them back (property)', async () => {
    const fc = (await import('fast-check')).default;
    const value = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.boolean(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z_$][\w$]{0,20}$/), value, { maxKeys: 12 }), (acc) => {
        const back = deserialize(encodeStateValue(acc)) as Record<string, unknown>;
        expect(Object.keys(back)).toEqual(Object.keys(acc));
        for (const key of Object.keys(acc)) expect(Object.is(back[key], acc[key]), key).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves other shapes to v8.serialize', () => {
    for (const value of [
      { nested: { a: 1 } },
      { 0: 'index key' },
      { u: undefined },
      { big: 1n },
      { s: '東京' },
      Object.assign(Object.create(null), { a: 1 }),
      [1, 2],
      new Map([[1, 2]]),
    ]) {
      expect(encodeStateValue(value).equals(serialize(value))).toBe(true);
    }
  });
});
