import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeStateKey,
  encodeStateKey,
  fromSortableTime,
  META_KEY,
  sortableTime,
  STATE_FORMAT_VERSION,
  statePrefix,
  prefixEnd,
  stateFormatOf,
} from '../../src/state/state-key.js';

// These bytes are the on-disk format: a change here breaks every checkpoint already written.
describe('state key layout, format versions 2 and 3', () => {
  it('is pinned byte for byte', () => {
    expect(STATE_FORMAT_VERSION).toBe(3);
    // Format 3 only where a watermark was left unfinished, so older readers refuse just those.
    expect(stateFormatOf(false)).toBe(2);
    expect(stateFormatOf(true)).toBe(3);
    expect(META_KEY.toString('hex')).toBe('006d657461');
    expect(encodeStateKey('3-dedup', 0, 'trip-1').toString('hex')).toBe('01332d646564757000' + '00000000' + '747269702d31');
    expect(encodeStateKey('w', 258, 'a\x00é').toString('hex')).toBe('017700' + '00000102' + '6100c3a9');
    expect(encodeStateKey('op', 7, '').toString('hex')).toBe('016f7000' + '00000007');
  });

  it('decodes what it encodes, keys with \\x00 included', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes('\x00')),
        fc.nat({ max: 0xffffffff }),
        fc.string(),
        (uid, gen, key) => {
          // Lone surrogates do not survive UTF-8; real keys are well-formed strings.
          fc.pre(Buffer.from(uid).toString() === uid && Buffer.from(key).toString() === key);
          expect(decodeStateKey(encodeStateKey(uid, gen, key))).toEqual({ uid, generation: gen, key });
        },
      ),
    );
    expect(decodeStateKey(META_KEY)).toBeUndefined();
  });

  it('keeps one generation of one operator in one contiguous range', () => {
    const prefix = statePrefix('op', 1);
    const end = prefixEnd(prefix);
    const inside = [encodeStateKey('op', 1, ''), encodeStateKey('op', 1, '\uffff\uffff'), encodeStateKey('op', 1, '🚕')];
    const outside = [encodeStateKey('op', 0, 'z'), encodeStateKey('op', 2, ''), encodeStateKey('opa', 1, ''), encodeStateKey('o', 1, 'p')];
    for (const k of inside) expect(Buffer.compare(k, prefix) >= 0 && Buffer.compare(k, end) < 0).toBe(true);
    for (const k of outside) expect(Buffer.compare(k, prefix) >= 0 && Buffer.compare(k, end) < 0).toBe(false);
  });

  it('sortableTime is pinned and orders strings as numbers, negatives included', () => {
    expect(sortableTime(0)).toBe('8000000000000000');
    expect(sortableTime(-1)).toBe('7fffffffffffffff');
    expect(sortableTime(1_700_000_000_000)).toBe('8000018bcfe56800');
    expect(sortableTime(Number.MIN_SAFE_INTEGER)).toBe('7fe0000000000001');
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.maxSafeInteger(), (a, b) => {
        const sa = sortableTime(a);
        const sb = sortableTime(b);
        expect(Math.sign(sa < sb ? -1 : sa > sb ? 1 : 0)).toBe(Math.sign(a - b));
        expect(fromSortableTime(sa)).toBe(a);
      }),
    );
    expect(() => sortableTime(1.5)).toThrow(RangeError);
    expect(() => sortableTime(NaN)).toThrow(/safe integer/);
  });
});
