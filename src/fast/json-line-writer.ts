import { DECIMAL_MAX_LENGTH, writeDecimal } from './decimal-ascii.js';

/**
 * A growing buffer of UTF-8 bytes that text sinks encode their lines into. Writing bytes straight
 * into one buffer skips what building a string per line costs: a rope of concatenated pieces per
 * line, then flattening and encoding the batch's text when the file stream takes it.
 *
 * Every method appends. `ascii` is for text known to be ASCII; `text` for any string.
 *
 * Plain definition: the UTF-8 bytes of the lines' text joined (`Buffer.from(lines.join(''))`),
 * measured against it by `bench/fast-paths.bench.ts`.
 */
export class JsonLineWriter {
  private buffer = Buffer.allocUnsafe(1 << 16);
  /** Bytes written so far. */
  length = 0;

  /** Forgets what was written (the buffer is kept for the next batch). */
  reset(): void {
    this.length = 0;
  }

  /** Drops what was written after `length` (a line that turned out to need the general route). */
  truncate(length: number): void {
    this.length = length;
  }

  /**
   * Hands over the bytes written, to be kept (by a stream, say), and starts an empty buffer of the
   * same size for what comes next.
   */
  take(): Buffer {
    const out = this.buffer.subarray(0, this.length);
    this.buffer = Buffer.allocUnsafe(this.buffer.length);
    this.length = 0;
    return out;
  }

  /** A copy of the bytes written (to keep, unlike the buffer, which is reused). */
  slice(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buffer, 0, this.length);
  }

  /** The bytes written as text (for tests and debugging). */
  toString(): string {
    return this.buffer.toString('utf8', 0, this.length);
  }

  byte(b: number): void {
    if (this.length === this.buffer.length) this.grow(1);
    this.buffer[this.length++] = b;
  }

  /** Appends constant bytes, such as a JSON key with its punctuation. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.reserve(n);
    // A loop: the pieces are a few bytes long, shorter than a TypedArray#set call is worth.
    const buffer = this.buffer;
    const at = this.length;
    for (let i = 0; i < n; i++) buffer[at + i] = b[i];
    this.length = at + n;
  }

  /** Appends `s`, which the caller knows is ASCII (hex ids, number text, fixed words). */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < n; i++) buffer[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** Appends any string as UTF-8 (lone surrogates become U+FFFD, as `Buffer.from` does). */
  text(s: string): void {
    const n = s.length;
    if (n < 64) {
      // Short strings: a loop beats the native call; fall back at the first non-ASCII character.
      this.reserve(n);
      const buffer = this.buffer;
      const start = this.length;
      let at = start;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) {
          this.length = start;
          this.utf8(s);
          return;
        }
        buffer[at++] = c;
      }
      this.length = at;
      return;
    }
    this.utf8(s);
  }

  /** Appends the number as `String(x)` writes it. */
  decimal(x: number): void {
    this.reserve(DECIMAL_MAX_LENGTH);
    this.length = writeDecimal(this.buffer, this.length, x);
  }

  private utf8(s: string): void {
    this.reserve(3 * s.length);
    this.length += this.buffer.write(s, this.length, 'utf8');
  }

  private reserve(n: number): void {
    if (this.length + n > this.buffer.length) this.grow(n);
  }

  private grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}
