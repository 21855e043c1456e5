/**
 * fromJsonl hands on no poison pill: a line that is not valid UTF-8, nests too deep or is too
 * long is a dead letter at its byte offset, never a record that fails a sink or a checkpoint on
 * every restart. CRLF, a byte-order mark and a last line without newline read as a user expects.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { StreamkitError } from '../../src/core/errors.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray, toJsonl } from '../../src/sinks/index.js';
import { fromJsonl, type JsonlSourceOptions } from '../../src/sources/index.js';
import { levelState, memoryState } from '../../src/state/index.js';

const dir = mkdtempSync(join(tmpdir(), 'streamkit-jsonl-limits-'));
let files = 0;
function fileWith(...parts: Array<string | number[] | Buffer>): string {
  const path = join(dir, `in-${files++}.jsonl`);
  writeFileSync(path, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))));
  return path;
}

async function read(path: string, options: JsonlSourceOptions = {}) {
  const out = toArray<unknown>();
  const dead = toArray<DeadLetter>();
  const summary = await from(fromJsonl(path, options)).deadLetters(dead).to(out).run();
  return { records: out.items, dead: dead.items, summary };
}

describe('fromJsonl: no poison pills', () => {
  it('a line that is not valid UTF-8 is a dead letter with its bytes and offset, not text with U+FFFD', async () => {
    const bad = [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]; // {"a":"\xff\xfe"}
    const path = fileWith('{"a":1}\n', bad, '\n', [0x7b, 0x22, 0x62, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d, 0x0a], '{"a":2}\n');
    const { records, dead } = await read(path);
    expect(records).toEqual([{ a: 1 }, { a: 2 }]);
    expect(dead).toEqual([
      {
        reason: 'line is not valid UTF-8: byte 6 of the line (0xff) starts no well-formed character',
        raw: Buffer.from(bad),
        position: { partition: 0, offset: 8 },
        operator: 'source',
      },
      {
        reason: 'line is not valid UTF-8: byte 6 of the line (0xed) starts no well-formed character',
        raw: Buffer.from([0x7b, 0x22, 0x62, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
        position: { partition: 0, offset: 19 },
        operator: 'source',
      },
    ]);
  });

  it('valid multi-byte text, also split across reads, is read as is', async () => {
    const path = fileWith('{"zone":"Škoda – 東京 – 🚕"}\n{"a":"é"}\n');
    for (const readBytes of [1, 2, 3, 5, 1 << 20]) {
      expect((await read(path, { readBytes })).records).toEqual([{ zone: 'Škoda – 東京 – 🚕' }, { a: 'é' }]);
    }
  });

  it('a 100k-deep line is a dead letter; the job, its sink and its checkpoint go on', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const path = fileWith('{"a":1}\n', `{"x":${deep}}\n`, '{"a":2}\n');
    const out = join(dir, `out-${files++}.jsonl`);
    const dead = toArray<DeadLetter>();
    const summary = await from(fromJsonl(path))
      .deadLetters(dead)
      .to(toJsonl(out))
      .run({ state: levelState(join(dir, `state-${files++}`)), checkpointEvery: { records: 1 } });
    expect(readFileSync(out, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(summary.deadLetters).toBe(1);
    expect(dead.items[0]).toMatchObject({
      reason: 'line nests arrays and objects deeper than maxDepth (1000)',
      position: { partition: 0, offset: 8 },
    });
  });

  it('maxDepth counts nested arrays and objects, not brackets inside strings', async () => {
    const path = fileWith('[[1]]\n[[[1]]]\n{"a":{"b":"[[[[[[[["}}\n{"a":{"b":{"c":1}}}\n');
    const { records, dead } = await read(path, { maxDepth: 2 });
    expect(records).toEqual([[[1]], { a: { b: '[[[[[[[[' } }]);
    expect(dead.map((d) => d.position?.offset)).toEqual([6, 37]);
  });

  it('a line longer than maxLineBytes is a dead letter with its first KiB; the next line reads normally', async () => {
    const long = `{"x":"${'y'.repeat(5_000)}"}`;
    const path = fileWith('{"a":1}\n', long, '\n', '{"a":2}\n');
    const { records, dead } = await read(path, { maxLineBytes: 1_000, readBytes: 100 });
    expect(records).toEqual([{ a: 1 }, { a: 2 }]);
    expect(dead).toEqual([
      {
        reason: `line of ${long.length} bytes is longer than maxLineBytes (1000); raw holds its first 1024 bytes`,
        raw: long.slice(0, 1024),
        position: { partition: 0, offset: 8 },
        operator: 'source',
      },
    ]);
    // The default limit is 1 MiB.
    const huge = fileWith(`"${'z'.repeat(1 << 20)}"\n{"a":3}\n`);
    const byDefault = await read(huge);
    expect(byDefault.records).toEqual([{ a: 3 }]);
    expect(byDefault.dead[0].reason).toMatch(/^line of 1048578 bytes is longer than maxLineBytes \(1048576\)/);
  });

  it('CRLF line ends: the \\r is not part of the line a custom parser sees', async () => {
    const path = fileWith('{"a":1}\r\n\r\n{"a":2}\r\n');
    const seen: string[] = [];
    const { records } = await read(path, {
      parse: (line) => {
        seen.push(line);
        return JSON.parse(line);
      },
    });
    expect(records).toEqual([{ a: 1 }, { a: 2 }]);
    expect(seen).toEqual(['{"a":1}', '{"a":2}']);
  });

  it('a UTF-8 byte-order mark opening the file is skipped; elsewhere it is an ordinary character', async () => {
    const path = fileWith([0xef, 0xbb, 0xbf], '{"a":1}\n', [0xef, 0xbb, 0xbf], '{"a":2}\n');
    const { records, dead } = await read(path);
    expect(records).toEqual([{ a: 1 }]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ raw: '\ufeff{"a":2}', position: { partition: 0, offset: 11 } });
  });

  it('a last line without newline is a record if it parses, a dead letter saying so if the file ends inside it', async () => {
    expect((await read(fileWith('{"a":1}\n{"a":2}'))).records).toEqual([{ a: 1 }, { a: 2 }]);
    const cut = await read(fileWith('{"a":1}\n{"a":'));
    expect(cut.records).toEqual([{ a: 1 }]);
    expect(cut.dead).toEqual([
      {
        reason: expect.stringMatching(/^unparseable line: SyntaxError: .*\(the last line has no newline: the file may end inside it\)$/),
        raw: '{"a":',
        position: { partition: 0, offset: 8 },
        operator: 'source',
      },
    ]);
  });

  it('lines of JSON whitespace only are skipped; other blank-looking lines are dead letters', async () => {
    const { records, dead } = await read(fileWith('\n \t \n{"a":1}\n\u00a0\n'));
    expect(records).toEqual([{ a: 1 }]);
    expect(dead.map((d) => d.raw)).toEqual(['\u00a0']);
  });
});

describe('fromJsonl: positions and restores', () => {
  it('resumes after a checkpoint taken past dead letters of every kind at the next line', async () => {
    const path = fileWith('{"a":1}\n', [0xff], '\n', `"${'x'.repeat(200)}"\n`, '[[[[1]]]]\n', '{"a":2}\n', '{"a":3}\n');
    const options = { maxLineBytes: 100, maxDepth: 3, batchSize: 1 };
    const state = memoryState();
    let polls = 0;
    const inner = fromJsonl(path, options);
    const first = toArray<unknown>();
    const firstDead = toArray<DeadLetter>();
    await from({ ...inner, poll: () => (polls++ < 5 ? inner.poll() : { kind: 'end' as const }) })
      .deadLetters(firstDead)
      .to(first)
      .run({ state, checkpointEvery: { records: 1 } });
    const rest = toArray<unknown>();
    const restDead = toArray<DeadLetter>();
    const summary = await from(fromJsonl(path, options)).deadLetters(restDead).to(rest).run({ state });
    expect(summary.restoredFrom).toBeGreaterThan(0);
    expect(first.items).toEqual([{ a: 1 }, { a: 2 }]);
    expect(firstDead.items.map((d) => d.position?.offset)).toEqual([8, 10, 213]);
    expect(rest.items).toEqual([{ a: 3 }]);
    expect(restDead.items).toEqual([]);
  });

  it('refuses to resume in a file that no longer matches the checkpoint', async () => {
    const path = fileWith('{"a":1}\n{"a":2}\n');
    const state = memoryState();
    let polls = 0;
    const inner = fromJsonl(path, { batchSize: 1 });
    await from({ ...inner, poll: () => (polls++ < 1 ? inner.poll() : { kind: 'end' as const }) })
      .to(toArray())
      .run({ state, checkpointEvery: { records: 1 } });
    // The checkpoint is at byte 8, after the first line.
    writeFileSync(path, '{"a":1234567}\n');
    await expect(from(fromJsonl(path)).to(toArray()).run({ state })).rejects.toMatchObject({
      code: 'SOURCE_FAILED',
      message: expect.stringMatching(
        /cannot resume .* at the checkpoint's position: byte 7 is not the end of a line: the file changed since/,
      ),
    });
    writeFileSync(path, '{"a"\n');
    await expect(from(fromJsonl(path)).to(toArray()).run({ state })).rejects.toThrow(
      /the checkpoint is at byte 8 but the file has 5 bytes: it was truncated or replaced since/,
    );
  });

  it('checks its options where they are written', () => {
    expect(() => fromJsonl('x.jsonl', { maxLineBytes: 0 })).toThrow(RangeError);
    expect(() => fromJsonl('x.jsonl', { maxLineBytes: 0 })).toThrow('fromJsonl: option maxLineBytes must be a positive integer, got 0');
    expect(() => fromJsonl('x.jsonl', { maxDepth: 1.5 })).toThrow(/option maxDepth must be a positive integer, got 1.5/);
    expect(() => fromJsonl('x.jsonl', { readBytes: '1MB' as never })).toThrow(TypeError);
    expect(() => fromJsonl('x.jsonl', { maxLineLength: 10 } as never)).toThrow(/unknown option "maxLineLength" \(known: .*maxLineBytes/);
    expect(() => fromJsonl('x.jsonl', { parse: 'json' as never })).toThrow(/option parse must be a function/);
  });

  it('fails with SOURCE_FAILED naming a file it cannot read', async () => {
    await expect(from(fromJsonl(dir)).to(toArray()).run()).rejects.toBeInstanceOf(StreamkitError);
    await expect(from(fromJsonl(dir)).to(toArray()).run()).rejects.toMatchObject({
      code: 'SOURCE_FAILED',
      message: expect.stringContaining(dir),
    });
  });
});
