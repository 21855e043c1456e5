/** FNV-1a over the UTF-16 code units of `text`: a cheap 32-bit hash, the same in every process. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * An order-free digest of output rows: their count, and the sum and xor of their hashes (each
 * mod 2³²). Two runs that emit the same rows in any order have the same digest.
 * @example const d = new OutputDigest(); d.add('a|1'); d.toString() // '1:…:…'
 */
export class OutputDigest {
  rows = 0;
  private sum = 0;
  private xor = 0;

  /** Adds one row, written as text (the same text for the same row in every engine). */
  add(row: string): void {
    const h = fnv1a32(row);
    this.rows++;
    this.sum = (this.sum + h) >>> 0;
    this.xor = (this.xor ^ h) >>> 0;
  }

  toString(): string {
    return `${this.rows}:${this.sum.toString(16)}:${this.xor.toString(16)}`;
  }
}

/** The text a session row is digested as, in every engine. */
export const sessionRowText = (key: string, start: number, end: number, n: number) => `${key}|${start}|${end}|${n}`;
