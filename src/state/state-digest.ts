import { crc32 } from 'node:zlib';

/**
 * What one operator's live state entries add up to: their number, their bytes (keys and values)
 * and the sum modulo 2³² of the CRC-32 of each entry's key bytes followed by its value bytes.
 * A sum, unlike a hash of the whole, follows each put and delete of a checkpoint without rereading
 * the rest, and a damaged, lost or stray entry changes it: backends record it with each checkpoint
 * and verify it against what they read back.
 */
export interface StateDigest {
  entries: number;
  bytes: number;
  checksum: number;
}

/**
 * A digest of no entries.
 * @example const digest = emptyDigest(); addEntry(digest, key, value);
 */
export function emptyDigest(): StateDigest {
  return { entries: 0, bytes: 0, checksum: 0 };
}

/**
 * Counts an entry in.
 * @param digest updated in place.
 * @param key the state key's UTF-8 bytes (without any backend prefix).
 * @param value the stored value's bytes.
 * @example addEntry(digest, Buffer.from('1/w/k'), valueBytes)
 */
export function addEntry(digest: StateDigest, key: Uint8Array, value: Uint8Array): void {
  digest.entries++;
  digest.bytes += key.length + value.length;
  digest.checksum = (digest.checksum + crc32(value, crc32(key))) >>> 0;
}

/**
 * Counts an entry out: the inverse of {@link addEntry} for the same bytes.
 * @example removeEntry(digest, key, previousValueBytes)
 */
export function removeEntry(digest: StateDigest, key: Uint8Array, value: Uint8Array): void {
  digest.entries--;
  digest.bytes -= key.length + value.length;
  digest.checksum = (digest.checksum - crc32(value, crc32(key))) >>> 0;
}

/**
 * True when two digests agree in every field.
 * @example if (!sameDigest(recorded, read)) throw …
 */
export function sameDigest(a: StateDigest, b: StateDigest): boolean {
  return a.entries === b.entries && a.bytes === b.bytes && a.checksum === b.checksum;
}

/**
 * A digest as text for messages: `12 entries, 1840 bytes, checksum 5c1e09a2`.
 * @example describeDigest(emptyDigest()) // '0 entries, 0 bytes, checksum 00000000'
 */
export function describeDigest(digest: StateDigest): string {
  return `${digest.entries} entries, ${digest.bytes} bytes, checksum ${digest.checksum.toString(16).padStart(8, '0')}`;
}
