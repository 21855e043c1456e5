/**
 * Writes `x` in ASCII exactly as `String(x)` would, into `bytes` at `at`; returns the position
 * after it. `bytes` must have room for {@link DECIMAL_MAX_LENGTH} more bytes. Safe integers, what
 * result ids carry (window bounds in epoch ms, pane indices; `src/windowing/result-id.ts`), are
 * written from integer arithmetic, without a string (about 6× faster than writing `String(x)`,
 * `bench/fast-paths.bench.ts`); other numbers go through `String`.
 *
 * Plain definition: the ASCII bytes of `String(x)` (pinned by `test/fast/decimal-ascii.test.ts`).
 * @example writeDecimal(bytes, 0, 1704085200000) // 13, bytes now start with "1704085200000"
 */
export function writeDecimal(bytes: Uint8Array, at: number, x: number): number {
  if (!Number.isSafeInteger(x)) {
    const text = String(x);
    for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
    return at;
  }
  if (x < 0) {
    bytes[at++] = 0x2d;
    x = -x;
  }
  // Epoch milliseconds exceed 32 bits: split into two int32 halves so digits come from integer
  // arithmetic (a floating-point remainder per digit costs more than the digit is worth).
  if (x < 1e8) return writeInt32(bytes, at, x, 0);
  const high = Math.floor(x / 1e8);
  at = writeInt32(bytes, at, high, 0);
  return writeInt32(bytes, at, x - high * 1e8, 8);
}

/**
 * Room {@link writeDecimal} may need for one number: 25, for a negative number just above 1e-6 in
 * magnitude with 17 significant digits, `-0.0000010001619651222882` (String switches to exponent
 * form below 1e-6, and `-1.7976931348623157e+308` is 24).
 */
export const DECIMAL_MAX_LENGTH = 25;

const DIGIT_0 = 0x30;

/** Writes the int32 `x` in decimal, left-padded with zeros to `width` digits. */
function writeInt32(bytes: Uint8Array, at: number, x: number, width: number): number {
  let v = x | 0;
  let digits = 1;
  for (let p = 10; p <= v; p *= 10) digits++;
  if (digits < width) digits = width;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = (v / 10) | 0;
    bytes[i] = DIGIT_0 + (v - q * 10);
    v = q;
  }
  return at + digits;
}
