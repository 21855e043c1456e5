/**
 * LineSplitter keeps nothing of a chunk once `push` returns, so fromJsonl can read the next bytes
 * into the same buffer.
 */
import { describe, expect, it } from 'vitest';
import { LineSplitter, type SplitLine } from '../../src/sources/line-splitter.js';

describe('LineSplitter', () => {
  it('holds a copy of an unfinished line: the chunk may be overwritten after push', () => {
    const lines: SplitLine[] = [];
    const splitter = new LineSplitter({ start: 0, maxLineBytes: 1 << 20 });
    const buffer = Buffer.alloc(8);
    for (const text of ['{"a":1}\n', '{"b":', '22}\n{"c"', ':3}\n']) {
      buffer.fill(0x78); // what a reused read buffer holds before the next read
      const n = buffer.write(text);
      splitter.push(buffer.subarray(0, n), lines);
    }
    splitter.finish(lines);
    expect(lines.map((l) => [l.text, l.at, l.end])).toEqual([
      ['{"a":1}', 0, 8],
      ['{"b":22}', 8, 17],
      ['{"c":3}', 17, 25],
    ]);
  });

  it('holds a copy of a line spanning several chunks', () => {
    const lines: SplitLine[] = [];
    const splitter = new LineSplitter({ start: 0, maxLineBytes: 1 << 20 });
    const line = `{"zone":"${'é'.repeat(40)}"}`;
    const bytes = Buffer.from(`${line}\n`);
    const buffer = Buffer.alloc(5);
    for (let at = 0; at < bytes.length; at += buffer.length) {
      buffer.fill(0);
      const n = bytes.copy(buffer, 0, at, at + buffer.length);
      splitter.push(buffer.subarray(0, n), lines);
    }
    expect(lines.map((l) => l.text)).toEqual([line]);
  });
});
