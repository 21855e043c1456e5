import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/core/key-encoding.js';
import {
  describeProcessState,
  EVENT_TIMER_PREFIX,
  LAST_WRITE_PREFIX,
  listPrefix,
  mapEntryKey,
  mapPrefix,
  parseProcessState,
  parseTimerKey,
  PROCESS_META_KEY,
  PROCESSING_TIMER_PREFIX,
  splitMapEntryKey,
  timerKey,
  valuePrefix,
} from '../../src/process/process-state-layout.js';

/** Keys as users write them: strings with slashes, quotes and escapes, numbers, composites. */
const keyArb = fc.oneof(
  fc.string(),
  fc.constantFrom('a/b', '"/"', '\\/', 'x\\"/y'),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);

describe('process state layout p1', () => {
  it('is pinned: prefixes and keys', () => {
    expect(PROCESS_META_KEY).toBe('p1/m');
    expect(valuePrefix('total')).toBe('p1/v/total/');
    expect(mapPrefix('seen')).toBe('p1/k/seen/');
    expect(listPrefix('buffer')).toBe('p1/l/buffer/');
    expect(EVENT_TIMER_PREFIX).toBe('p1/e/');
    expect(PROCESSING_TIMER_PREFIX).toBe('p1/p/');
    expect(LAST_WRITE_PREFIX).toBe('p1/x/');
    expect(timerKey(5, '"a"')).toBe('8000000000000005/"a"');
    expect(timerKey(-1, '7')).toBe('7fffffffffffffff/7');
    expect(mapEntryKey('"a/b"', '7')).toBe('"a/b"/7');
    expect(describeProcessState({ total: 'value', seen: 'map' }, 86_400_000)).toBe('seen:map,total:value;ttl=86400000');
    expect(describeProcessState({}, undefined)).toBe(';ttl=none');
  });

  it('timer keys sort in time order and read back (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), fc.integer({ min: -1e15, max: 1e15 }), keyArb, (a, b, key) => {
        const text = encodeKey(key);
        expect(parseTimerKey(timerKey(a, text))).toEqual({ time: a, keyText: text });
        if (a < b) expect(timerKey(a, text) < timerKey(b, text)).toBe(true);
      }),
    );
  });

  it('map entry keys split back into the key and the map key, whatever slashes and quotes they hold (property)', () => {
    fc.assert(
      fc.property(keyArb, keyArb, (key, mapKey) => {
        const keyText = encodeKey(key);
        const mapKeyText = encodeKey(mapKey);
        expect(splitMapEntryKey(mapEntryKey(keyText, mapKeyText))).toEqual({ keyText, mapKeyText });
      }),
    );
  });

  it('reads a state description back', () => {
    expect(parseProcessState('seen:map,total:value;ttl=5')).toEqual({
      kinds: new Map([
        ['seen', 'map'],
        ['total', 'value'],
      ]),
      ttl: '5',
    });
  });

  it('refuses keys that are not its own with STATE_CORRUPT', () => {
    expect(() => parseTimerKey('short')).toThrow(expect.objectContaining({ code: 'STATE_CORRUPT' }));
    expect(() => splitMapEntryKey('"no/separator"')).toThrow(expect.objectContaining({ code: 'STATE_CORRUPT' }));
  });
});
