/**
 * MurmurHash3 x86 128-bit (Austin Appleby's public-domain reference, `MurmurHash3_x86_128`) of the
 * UTF-8 bytes of `text`, seed 0, as 32 lowercase hex digits (h1 h2 h3 h4, each big-endian).
 * Non-cryptographic and about ten times cheaper than SHA-256 here; 128 bits make an accidental
 * collision among result ids practically impossible. Pinned against the reference by a test.
 */
export function murmur3x86128(text: string): string {
  const n = text.length;
  if (n > scratch.length) scratch = new Uint8Array(n * 2);
  const bytes = scratch;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) {
      const encoded = encoder.encode(text);
      return murmur3x86128Bytes(encoded, encoded.length);
    }
    bytes[i] = c;
  }
  return murmur3x86128Bytes(bytes, n);
}

/**
 * {@link murmur3x86128} of the first `n` bytes of `bytes`: for callers that write the bytes
 * themselves (result ids), so no text is built and no array view allocated per hash.
 */
export function murmur3x86128Bytes(bytes: Uint8Array, n: number): string {
  const c1 = 0x239b961b;
  const c2 = 0xab0e9789;
  const c3 = 0x38b34ae5;
  const c4 = 0xa1e38b93;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const blocks = n - (n % 16);
  for (let i = 0; i < blocks; i += 16) {
    let k1 = word(bytes, i);
    let k2 = word(bytes, i + 4);
    let k3 = word(bytes, i + 8);
    let k4 = word(bytes, i + 12);
    k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2);
    h1 ^= k1;
    h1 = rotl(h1, 19) + h2;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, c2), 16), c3);
    h2 ^= k2;
    h2 = rotl(h2, 17) + h3;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, c3), 17), c4);
    h3 ^= k3;
    h3 = rotl(h3, 15) + h4;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, c4), 18), c1);
    h4 ^= k4;
    h4 = rotl(h4, 13) + h1;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }
  // The last 0-15 bytes, little-endian, into up to four partial words (the reference's
  // fall-through switch, written as one step per word).
  const tail = n & 15;
  const t = blocks;
  if (tail > 12) h4 ^= Math.imul(rotl(Math.imul(partialWord(bytes, t + 12, tail - 12), c4), 18), c1);
  if (tail > 8) h3 ^= Math.imul(rotl(Math.imul(partialWord(bytes, t + 8, Math.min(tail - 8, 4)), c3), 17), c4);
  if (tail > 4) h2 ^= Math.imul(rotl(Math.imul(partialWord(bytes, t + 4, Math.min(tail - 4, 4)), c2), 16), c3);
  if (tail > 0) h1 ^= Math.imul(rotl(Math.imul(partialWord(bytes, t, Math.min(tail, 4)), c1), 15), c2);
  h1 ^= n;
  h2 ^= n;
  h3 ^= n;
  h4 ^= n;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return hex128(h1, h2, h3, h4);
}

/**
 * MurmurHash3 x86 32-bit (Austin Appleby's reference, `MurmurHash3_x86_32`) of the first `n` bytes
 * of `bytes`, as an unsigned 32-bit integer: the hash that places a key in its key group. Pinned
 * against the reference's published vectors by a test.
 * @param seed the reference's seed; 0 unless a test pins another.
 */
export function murmur3x8632Bytes(bytes: Uint8Array, n: number, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blocks = n - (n & 3);
  for (let i = 0; i < blocks; i += 4) {
    h ^= Math.imul(rotl(Math.imul(word(bytes, i), c1), 15), c2);
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail > 0) h ^= Math.imul(rotl(Math.imul(partialWord(bytes, blocks, tail), c1), 15), c2);
  h ^= n;
  return fmix(h) >>> 0;
}

const encoder = new TextEncoder();
/** Reused for the bytes of ASCII texts (the usual id text), grown on demand. */
let scratch = new Uint8Array(256);

function word(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function partialWord(b: Uint8Array, i: number, length: number): number {
  let k = 0;
  for (let j = length - 1; j >= 0; j--) k = (k << 8) | b[i + j];
  return k;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Character codes of the hex digits 0-f. */
const HEX = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * The four words as 32 hex digits, big-endian each, made in one call: concatenating per-byte
 * pieces built a tree of fifteen strings per id, which JSON output then had to flatten.
 */
function hex128(a: number, b: number, c: number, d: number): string {
  return String.fromCharCode(
    HEX[a >>> 28],
    HEX[(a >>> 24) & 15],
    HEX[(a >>> 20) & 15],
    HEX[(a >>> 16) & 15],
    HEX[(a >>> 12) & 15],
    HEX[(a >>> 8) & 15],
    HEX[(a >>> 4) & 15],
    HEX[a & 15],
    HEX[b >>> 28],
    HEX[(b >>> 24) & 15],
    HEX[(b >>> 20) & 15],
    HEX[(b >>> 16) & 15],
    HEX[(b >>> 12) & 15],
    HEX[(b >>> 8) & 15],
    HEX[(b >>> 4) & 15],
    HEX[b & 15],
    HEX[c >>> 28],
    HEX[(c >>> 24) & 15],
    HEX[(c >>> 20) & 15],
    HEX[(c >>> 16) & 15],
    HEX[(c >>> 12) & 15],
    HEX[(c >>> 8) & 15],
    HEX[(c >>> 4) & 15],
    HEX[c & 15],
    HEX[d >>> 28],
    HEX[(d >>> 24) & 15],
    HEX[(d >>> 20) & 15],
    HEX[(d >>> 16) & 15],
    HEX[(d >>> 12) & 15],
    HEX[(d >>> 8) & 15],
    HEX[(d >>> 4) & 15],
    HEX[d & 15],
  );
}
