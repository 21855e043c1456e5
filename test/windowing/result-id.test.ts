import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/core/key-encoding.js';
import { canonicalResultText, resultId } from '../../src/windowing/result-id.js';
import { murmur3x86128 } from '../../src/windowing/murmur3.js';

// resultId writes the canonical text's bytes itself; it must hash exactly what the recipe says.
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  9,
  10,
  99,
  100,
  99_999_999,
  100_000_000,
  100_000_001,
  1_704_085_200_000,
  -1_704_085_200_000,
  2 ** 31,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  2 ** 53,
  1e21,
  1.5,
  -0.25,
  Infinity,
  -Infinity,
  NaN,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
];
const KEYS = [null, undefined, 7, 'zone-7', { zone: 1, vendor: 'a' }, 'ü€😀', 12n, 'x'.repeat(300)].map(encodeKey);

describe('resultId', () => {
  it('is the hash of the canonical text for every kind of key and bound', () => {
    const wrong: string[] = [];
    for (const key of KEYS) {
      for (const start of NUMBERS) {
        for (const end of NUMBERS) {
          for (const index of [0, 1, 12, 1000]) {
            for (const retraction of [false, true]) {
              const text = canonicalResultText(key, start, end, index, retraction);
              if (resultId(key, start, end, index, retraction) !== murmur3x86128(text)) wrong.push(text);
            }
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the pinned ids', () => {
    expect(resultId('null', 0, 60000, 0, false)).toBe('31b8433de4e929d0e18c576b48c317b2');
    expect(resultId('"zone-7"', 0, 300000, 1, true)).toBe('6ef05b898147f531adb463f432cbb0f8');
  });
});

describe('key texts of result ids', () => {
  it('render finite numbers exactly as JSON.stringify does, -0 as 0', () => {
    for (const n of [0, -0, 7, -7, 0.1, 1e21, 1e-7, 2 ** 53, 1_704_085_200_000, Number.MAX_VALUE, Number.MIN_VALUE]) {
      expect(encodeKey(n)).toBe(JSON.stringify(n));
    }
  });

  it('tell NaN and the infinities apart from null and from each other', () => {
    expect([NaN, Infinity, -Infinity, null].map(encodeKey)).toEqual(['NaN', 'Infinity', '-Infinity', 'null']);
  });
});
