import { isUtf8 } from 'node:buffer';

/** One line of a file, with its exact place in the file's bytes. */
export interface SplitLine {
  /** Byte offset of the line's first byte (after the UTF-8 byte-order mark that may open a file). */
  at: number;
  /** Byte offset just after the line's newline; for a last line without one, the end of the file. */
  end: number;
  /** The line's text without `\n` or `\r\n`; `undefined` when the line has a `problem`. */
  text: string | undefined;
  /** Why the line has no text: not valid UTF-8, or longer than the limit. */
  problem: string | undefined;
  /** For a line with a problem, what a dead letter keeps of it (see {@link LineSplitter}). */
  raw: unknown;
  /** False for a last line that no newline ends. */
  terminated: boolean;
}

export interface LineSplitterOptions {
  /** Byte offset in the file of the first byte that will be pushed (a line start). */
  start: number;
  /** Longest line accepted, in bytes before its `\n`. */
  maxLineBytes: number;
}

/** How much of a line over the limit a dead letter keeps, as text: enough to recognise it. */
export const TOO_LONG_HEAD_BYTES = 1024;

const EMPTY = Buffer.alloc(0);
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits the bytes of a file, pushed in chunks of any size, into lines with exact byte offsets.
 * `\n` ends a line and a `\r` before it is dropped; a UTF-8 byte-order mark at offset 0 is not
 * part of the first line. Lines are decoded only when they are valid UTF-8, else they carry a
 * `problem` and their bytes (a copy) as `raw`. A line longer than `maxLineBytes` is never held:
 * its first {@link TOO_LONG_HEAD_BYTES} bytes are kept (as text, for a reader) and the rest is
 * skipped up to the next newline, so memory stays bounded by the limit plus one chunk.
 *
 * `push` keeps no reference to the chunk once it returns (what it holds of an unfinished line is a
 * copy), so a reader may read the next bytes into the same buffer.
 *
 * Invariant: lines come out in file order, each `at` is the previous line's `end` (plus 3 for a
 * byte-order mark), and the last `end` is the offset of the first byte not yet part of a line.
 * @example
 * const lines: SplitLine[] = [];
 * const splitter = new LineSplitter({ start: 0, maxLineBytes: 1 << 20 });
 * splitter.push(Buffer.from('{"a":1}\r\n{"a"'), lines);
 * splitter.push(Buffer.from(':2}'), lines);
 * splitter.finish(lines); // lines: '{"a":1}' at 0, '{"a":2}' at 9 (terminated: false)
 */
export class LineSplitter {
  /** Offset of the next byte to be pushed. */
  private offset: number;
  /** Offset of the first byte of the line being assembled. */
  private lineStart: number;
  /** Bytes of the line being assembled, when it is within the limit. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while the rest of a line over the limit is skipped: its length so far and its first bytes. */
  private skipped = -1;
  private skippedHead: Buffer = EMPTY;
  private readonly maxLineBytes: number;

  constructor(options: LineSplitterOptions) {
    this.offset = this.lineStart = options.start;
    this.maxLineBytes = options.maxLineBytes;
  }

  /** Appends to `out` every line that `chunk`, the next bytes of the file, completes. */
  push(chunk: Buffer, out: SplitLine[]): void {
    const base = this.offset;
    let from = 0;
    let nl = chunk.indexOf(NEWLINE);
    if (nl >= 0) {
      // The line that began in earlier chunks (or at this chunk's start) ends here.
      this.endLine(chunk, base, nl, true, out);
      from = nl + 1;
      const last = chunk.lastIndexOf(NEWLINE);
      // Lines wholly inside this chunk: one UTF-8 check for all of them (the usual, valid case).
      const valid = last <= from || isUtf8(chunk.subarray(from, last));
      while ((nl = chunk.indexOf(NEWLINE, from)) >= 0) {
        this.emit(chunk, base, from, nl, true, valid, out);
        from = nl + 1;
      }
    }
    this.hold(chunk, from);
    this.offset = base + chunk.length;
  }

  /** The end of the file: a last line without a newline is a line too. */
  finish(out: SplitLine[]): void {
    if (this.skipped < 0 && this.pendingBytes === 0) return;
    this.endLine(Buffer.alloc(0), this.offset, 0, false, out);
  }

  /** Ends the line being assembled at `chunk[nl]`, a newline (or the end of the file); `base` is the offset of `chunk[0]`. */
  private endLine(chunk: Buffer, base: number, nl: number, terminated: boolean, out: SplitLine[]): void {
    const end = base + nl + (terminated ? 1 : 0);
    if (this.skipped >= 0) {
      this.growHead(chunk, 0, nl);
      this.emitTooLong(this.skipped + nl, end, terminated, out);
    } else if (this.pendingBytes + nl > this.maxLineBytes) {
      this.skippedHead = this.headOf(chunk, 0, nl);
      this.emitTooLong(this.pendingBytes + nl, end, terminated, out);
    } else if (this.pendingBytes === 0) {
      this.emit(chunk, base, 0, nl, terminated, false, out);
    } else {
      this.pending.push(chunk.subarray(0, nl));
      const line = Buffer.concat(this.pending, this.pendingBytes + nl);
      this.emit(line, this.lineStart, 0, line.length, terminated, false, out);
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.skipped = -1;
  }

  /**
   * Emits `bytes[from, nl)`, `bytes[0]` being at file offset `base`, as the line that starts at
   * `lineStart`; `valid` when the bytes are already known to be UTF-8.
   */
  private emit(bytes: Buffer, base: number, from: number, nl: number, terminated: boolean, valid: boolean, out: SplitLine[]): void {
    const end = base + nl + (terminated ? 1 : 0);
    if (nl - from > this.maxLineBytes) {
      this.skippedHead = this.headOf(bytes, from, nl);
      this.emitTooLong(nl - from, end, terminated, out);
      return;
    }
    let at = this.lineStart;
    let start = from;
    let stop = nl;
    if (stop > start && bytes[stop - 1] === CARRIAGE_RETURN) stop--;
    if (at === 0 && stop - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) {
      start += 3;
      at = 3;
    }
    this.lineStart = end;
    if (valid || isUtf8(bytes.subarray(start, stop))) {
      out.push({ at, end, text: bytes.toString('utf8', start, stop), problem: undefined, raw: undefined, terminated });
    } else {
      out.push({
        at,
        end,
        text: undefined,
        problem: utf8Problem(bytes, start, stop),
        raw: Buffer.from(bytes.subarray(start, stop)),
        terminated,
      });
    }
  }

  private emitTooLong(length: number, end: number, terminated: boolean, out: SplitLine[]): void {
    const head = this.skippedHead;
    this.skippedHead = EMPTY;
    out.push({
      at: this.lineStart,
      end,
      text: undefined,
      problem: `line of ${length} bytes is longer than maxLineBytes (${this.maxLineBytes}); raw holds its first ${head.length} bytes`,
      raw: head.toString('utf8'),
      terminated,
    });
    this.lineStart = end;
  }

  /** Keeps `chunk[from…]`, the start of a line no newline has ended yet, or skips it once the line is over the limit. */
  private hold(chunk: Buffer, from: number): void {
    const rest = chunk.length - from;
    if (rest === 0) return;
    if (this.skipped >= 0) {
      this.growHead(chunk, from, chunk.length);
      this.skipped += rest;
    } else if (this.pendingBytes + rest > this.maxLineBytes) {
      this.skippedHead = this.headOf(chunk, from, chunk.length);
      this.skipped = this.pendingBytes + rest;
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      // A copy: the caller reuses the chunk's buffer, and a view would also keep all of it alive.
      this.pending.push(Buffer.from(chunk.subarray(from)));
      this.pendingBytes += rest;
    }
  }

  /** Adds bytes of a line being skipped to its head, until the head is full. */
  private growHead(chunk: Buffer, from: number, to: number): void {
    const room = TOO_LONG_HEAD_BYTES - this.skippedHead.length;
    if (room > 0 && to > from) this.skippedHead = Buffer.concat([this.skippedHead, chunk.subarray(from, Math.min(to, from + room))]);
  }

  /** The held start of the line and then `chunk[from, to)`: its first {@link TOO_LONG_HEAD_BYTES} bytes, copied. */
  private headOf(chunk: Buffer, from: number, to: number): Buffer {
    // concat copies: the head keeps no chunk alive.
    return Buffer.concat([...this.pending, chunk.subarray(from, to)], Math.min(TOO_LONG_HEAD_BYTES, this.pendingBytes + (to - from)));
  }
}

function utf8Problem(bytes: Buffer, start: number, stop: number): string {
  const bad = invalidUtf8At(bytes, start, stop);
  if (bad < 0) return 'line is not valid UTF-8';
  return `line is not valid UTF-8: byte ${bad} of the line (0x${bytes[start + bad].toString(16).padStart(2, '0')}) starts no well-formed character`;
}

/**
 * Index (from `start`) of the first byte of `bytes[start, end)` that begins no well-formed UTF-8
 * sequence (Unicode, table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or -1.
 * Only asked about lines `isUtf8` rejected, to say where.
 */
export function invalidUtf8At(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = bytes[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes after the lead byte, and the allowed range of the first one.
    let follow: number;
    let low = 0x80;
    let high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      follow = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      follow = 2;
      if (c === 0xe0) low = 0xa0; // no overlong 3-byte forms
      if (c === 0xed) high = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      follow = 3;
      if (c === 0xf0) low = 0x90; // no overlong 4-byte forms
      if (c === 0xf4) high = 0x8f; // nothing above U+10FFFF
    } else {
      return i - start;
    }
    if (i + follow >= end || bytes[i + 1] < low || bytes[i + 1] > high) return i - start;
    for (let k = 2; k <= follow; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i - start;
    i += follow + 1;
  }
  return -1;
}
