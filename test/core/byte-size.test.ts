import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/core/byte-size.js';
import { entrySize, estimateSize } from '../../src/state/estimate-size.js';

describe('parseByteSize', () => {
  it('reads numbers and sizes in binary multiples, case ignored', () => {
    expect(parseByteSize(1000)).toBe(1000);
    expect(parseByteSize('64MB')).toBe(64 * 1024 * 1024);
    expect(parseByteSize('64mb')).toBe(64 * 1024 * 1024);
    expect(parseByteSize('512 KiB')).toBe(512 * 1024);
    expect(parseByteSize('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('10')).toBe(10);
    expect(parseByteSize('10b')).toBe(10);
  });

  it('refuses what is not a positive size, naming the option', () => {
    for (const bad of [0, -1, NaN, Infinity, '', '0MB', '64 megs', 'MB', '-1MB', null, {}]) {
      expect(() => parseByteSize(bad as never, 'levelState memory'), String(bad)).toThrow(/levelState memory must be a positive/);
    }
  });
});

describe('estimateSize', () => {
  it('counts numbers, strings, arrays, objects and maps', () => {
    expect(estimateSize(1)).toBe(8);
    expect(estimateSize('abcd')).toBe(24);
    expect(estimateSize([1, 2])).toBe(48);
    expect(estimateSize({ start: 0, acc: [1, 2] })).toBe(104);
    expect(estimateSize(new Map([['a', 1]]))).toBe(48 + 32 + 18 + 8);
    expect(estimateSize(new Uint8Array(100))).toBe(164);
  });

  it('stops at depth 4 instead of walking deep or cyclic values', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(estimateSize(cyclic)).toBeLessThan(1_000);
  });

  it('charges each cache entry its key twice and an overhead', () => {
    expect(entrySize('g/1/trip-7', 8)).toBe(172);
  });
});
