/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum LevelDB writes in its log and
 * tables, and the one state digests use. Slicing by 4: table k holds the CRC of a byte followed by
 * k zero bytes, so four bytes are folded per step (a log of some MB is checked at every open). For
 * the short keys and values of state entries it is several times faster than a call into
 * `zlib.crc32`, whose cost is the crossing into native code.
 */
const TABLES: Int32Array = (() => {
  const t = new Int32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 4; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
  return t;
})();

/**
 * The CRC-32C of `bytes[start, end)`, as LevelDB's `crc32c::Value` computes it; given the CRC of
 * what came before, the CRC of both (LevelDB's `crc32c::Extend`).
 * @param bytes the data.
 * @param start first byte (default 0).
 * @param end one past the last byte (default `bytes.length`).
 * @param previous the CRC-32C of the bytes before these (default 0: none).
 * @example crc32c(Buffer.from('123456789')) // 0xe3069283
 * @example crc32c(Buffer.from('6789'), 0, 4, crc32c(Buffer.from('12345'))) // 0xe3069283
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  const t = TABLES;
  let crc = previous ^ -1;
  let i = start;
  for (const last = end - 4; i <= last; i += 4) {
    crc ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    crc = t[768 + (crc & 0xff)] ^ t[512 + ((crc >>> 8) & 0xff)] ^ t[256 + ((crc >>> 16) & 0xff)] ^ t[crc >>> 24];
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * Undoes LevelDB's `crc32c::Mask` (a rotation plus a constant, so that the CRC of data holding CRCs
 * does not degenerate): the stored form of a checksum back to the CRC itself.
 * @example unmaskCrc32c(maskedFromLog) === crc32c(record, 0, record.length)
 */
export function unmaskCrc32c(masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
