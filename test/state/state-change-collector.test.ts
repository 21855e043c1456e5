import { deserialize } from 'node:v8';
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
