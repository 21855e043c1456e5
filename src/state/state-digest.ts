import { crc32c } from './crc32c.js';

/**
 * What one operator's live state entries add up to: their number and the sum modulo 2³² of each
 * entry's checksum ({@link entryChecksum}). A sum, unlike a hash of the whole, follows each put and
 * delete of a checkpoint from the checksums of the entries it replaces, without rereading the rest;
 * a damaged, lost or stray entry changes it. Backends record it with each checkpoint and verify it
 * against what they read back.
 */
export interface StateDigest {
  entries: number;
  checksum: number;
}

/**
 * The checksum of one state entry: the CRC-32C of its key's UTF-8 bytes followed by its value's
 * bytes, as a signed 32-bit integer (a small integer to V8, so an index of millions of them holds
 * no boxed numbers).
 * @param key the state key's UTF-8 bytes, from `keyStart` on (a backend's prefix may come first).
 * @param value the stored value's bytes.
 * @param keyStart where the key starts in `key` (default 0).
 * @example entryChecksum(Buffer.from('1/i/trip-7'), encodeStateValue(1_700_000_000_000))
 */
export function entryChecksum(key: Uint8Array, value: Uint8Array, keyStart = 0): number {
  return crc32c(value, 0, value.length, crc32c(key, keyStart, key.length)) | 0;
}

/**
 * A digest of no entries.
 * @example const digest = emptyDigest();
 */
export function emptyDigest(): StateDigest {
  return { entries: 0, checksum: 0 };
}

/**
 * Counts an entry in, by its {@link entryChecksum}.
 * @param digest updated in place.
 * @example addToDigest(digest, entryChecksum(key, value))
 */
export function addToDigest(digest: StateDigest, checksum: number): void {
  digest.entries++;
  digest.checksum = (digest.checksum + (checksum >>> 0)) >>> 0;
}

/**
 * Counts an entry out: the inverse of {@link addToDigest} for the same checksum.
 * @example removeFromDigest(digest, previousChecksum)
 */
export function removeFromDigest(digest: StateDigest, checksum: number): void {
  digest.entries--;
  digest.checksum = (digest.checksum - (checksum >>> 0)) >>> 0;
}

/**
 * True when two digests agree.
 * @example if (!sameDigest(recorded, read)) throw …
 */
export function sameDigest(a: StateDigest, b: StateDigest): boolean {
  return a.entries === b.entries && a.checksum === b.checksum;
}

/**
 * A digest as text for messages: `12 entries with checksum 5c1e09a2`.
 * @example describeDigest(emptyDigest()) // '0 entries with checksum 00000000'
 */
export function describeDigest(digest: StateDigest): string {
  return `${digest.entries} entries with checksum ${digest.checksum.toString(16).padStart(8, '0')}`;
}
