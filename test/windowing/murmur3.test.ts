import { describe, expect, it } from 'vitest';
import { murmur3x86128, murmur3x8632Bytes } from '../../src/windowing/murmur3.js';

// Reference values: MurmurHash3_x86_128, seed 0, over UTF-8 bytes (as Python's
// mmh3.hash128(text.encode(), 0, x64arch=False), printed as h1 h2 h3 h4).
const VECTORS: Array<[string, string]> = [
  ['', '00000000000000000000000000000000'],
  ['a', 'a794933c5556b01b5556b01b5556b01b'],
  ['hello', '2b2444a0db91def79adb31b69adb31b6'],
  ['null|0|60000|0|0', '31b8433de4e929d0e18c576b48c317b2'],
  ['"zone-7"|0|300000|1|1', '6ef05b898147f531adb463f432cbb0f8'],
  ['The quick brown fox jumps over the lazy dog', '2f1583c3ecee2c675d7bf66ce5e91d2c'],
  ['ü€😀|1|2|3|0', '38d22bff35a26d88d7cb882ec1346dfb'],
];

describe('murmur3x86128', () => {
  it.each(VECTORS)('hashes %j like the reference implementation', (text, expected) => {
    expect(murmur3x86128(text)).toBe(expected);
  });

  it('covers every tail length and long texts', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 600; n++) seen.add(murmur3x86128('x'.repeat(n)));
    expect(seen.size).toBe(600);
  });
});

// Published vectors of MurmurHash3_x86_32 (the reference's SMHasher checks), text as UTF-8 and seed.
const VECTORS_32: Array<[string, number, number]> = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ['a', 0, 0x3c2569b2],
  ['ab', 0, 0x9bbfd75f],
  ['abc', 0, 0xb3dd93fa],
  ['abcd', 0, 0x43ed676a],
  ['hello', 0, 0x248bfa47],
  ['Hello, world!', 0, 0xc0363e43],
];

describe('murmur3x8632Bytes', () => {
  it.each(VECTORS_32)('hashes %j with seed %i like the reference implementation', (text, seed, expected) => {
    const bytes = new TextEncoder().encode(text);
    expect(murmur3x8632Bytes(bytes, bytes.length, seed)).toBe(expected);
  });

  it('reads only the first n bytes', () => {
    const bytes = new TextEncoder().encode('hello, and more');
    expect(murmur3x8632Bytes(bytes, 5)).toBe(0x248bfa47);
  });
});
