/** A size in bytes: a number, or text such as `'64MB'`, `'512KB'`, `'1.5GB'` (binary multiples). */
export type ByteSize = number | string;

/** Binary multiples, as Flink's `MemorySize` reads `64mb`: 1 KB = 1024 bytes. */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  k: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  g: 1024 ** 3,
};
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/**
 * Parses a {@link ByteSize} to whole bytes.
 * @param value a positive finite number of bytes, or `<number><unit>` with unit B, KB, MB, GB (or
 *   KiB, MiB, GiB; case ignored), all binary multiples.
 * @param option the option's name, used in the error message.
 * @throws TypeError naming the bad value, e.g. `parseByteSize('64 megs')`.
 * @example parseByteSize('64MB') // 67_108_864
 */
export function parseByteSize(value: ByteSize, option = 'size'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${option} must be a positive number of bytes, got ${value}`);
    return Math.ceil(value);
  }
  const match = typeof value === 'string' ? SIZE.exec(value) : null;
  const unit = match ? UNIT_BYTES[(match[2] || 'b').toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new TypeError(
      `${option} must be a positive number of bytes or a size like '64MB', '512KB', '1GB', got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`,
    );
  }
  return Math.ceil(Number(match[1]) * unit);
}
