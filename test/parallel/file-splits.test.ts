/**
 * File splits: a JSONL file read as N byte ranges at line boundaries. Read in order, the splits of
 * a file give exactly what one `fromJsonl` read of it gives (values, dead letters, offsets), each
 * line read by the one split its first byte lies in; a split restored at any of its positions reads
 * the rest of it, and refuses a position that is not one of its line boundaries.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { StreamkitError } from '../../src/core/errors.js';
import type { Source, SourceContext } from '../../src/core/source.js';
import { fromJsonlSplit, planFileSplits, type FileSplit } from '../../src/parallel/index.js';
import { from, union } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/index.js';
import { fromJsonl, type JsonlSourceOptions } from '../../src/sources/index.js';
import { memoryState } from '../../src/state/index.js';

const dir = mkdtempSync(join(tmpdir(), 'streamkit-file-splits-'));
let files = 0;
function fileWith(bytes: Buffer): string {
  const path = join(dir, `in-${files++}.jsonl`);
  writeFileSync(path, bytes);
  return path;
}

// ---- Random files: JSON and not, blank lines, CRLF, long lines, multi-byte text, a BOM, no final newline. ----

const text = (s: string) => Buffer.from(s, 'utf8');
const line: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.json({ maxDepth: 3 }).map(text) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => text(JSON.stringify({ s }))) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((d) => text('['.repeat(d) + ']'.repeat(d))) },
  { weight: 2, arbitrary: fc.integer({ min: 20, max: 200 }).map((n) => text(`"${'é'.repeat(n)}"`)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 10 }).map(text) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe6, 0x9d, 0x22, 0x7d])) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\t', '\r', ' \t ').map(text) },
);
const jsonlFile = fc
  .record({
    bom: fc.boolean(),
    lines: fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 20 }),
    last: fc.option(line),
  })
  .map(({ bom, lines, last }) =>
    Buffer.concat([
      bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
      ...lines.flatMap(([l, end]) => [l, text(end)]),
      last ?? Buffer.alloc(0),
    ]),
  );
const readOptions: fc.Arbitrary<JsonlSourceOptions> = fc.record({
  maxLineBytes: fc.integer({ min: 4, max: 300 }),
  maxDepth: fc.integer({ min: 1, max: 5 }),
  readBytes: fc.integer({ min: 1, max: 48 }),
  batchSize: fc.integer({ min: 1, max: 5 }),
});

// ---- Reading a source to its end, or from a position. ----

interface Item {
  at: number;
  value?: unknown;
  dead?: Omit<DeadLetter, 'position'>;
}
interface Read {
  items: Item[];
  /** The position after each poll, starting with the one before the first. */
  positions: number[];
  partitions: Set<number>;
}

function context(restoreFrom: unknown, batchSize: number): SourceContext {
  return { restoreFrom, batchSize, now: () => 0, signal: new AbortController().signal };
}

async function readAll(source: Source<unknown>, restoreFrom?: number): Promise<Read> {
  const read: Read = { items: [], positions: [], partitions: new Set() };
  await source.open(context(restoreFrom, 3));
  try {
    read.positions.push(source.position() as number);
    for (;;) {
      const r = await source.poll();
      if (r.kind === 'end') return read;
      if (r.kind !== 'batch') throw new Error(`a file source polled ${r.kind}`);
      read.partitions.add(r.batch.partition);
      const items = r.batch.values.map((value, i): Item => ({ at: r.batch.positions[i], value }));
      for (const { position, ...dead } of r.deadLetters ?? []) {
        read.partitions.add(position!.partition);
        items.push({ at: position!.offset, dead });
      }
      read.items.push(...items.sort((a, b) => a.at - b.at));
      read.positions.push(source.position() as number);
    }
  } finally {
    await source.close?.();
  }
}

/** The byte ranges `[start, end)` of the file's lines, by `\n`, the last one with or without it. */
function linesOf(bytes: Buffer): Array<{ start: number; end: number }> {
  const lines: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < bytes.length;) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl + 1;
    lines.push({ start, end });
    start = end;
  }
  return lines;
}

/** What a split owns: the lines whose first byte lies in it, and where the last of them ends. */
function owned(bytes: Buffer, split: FileSplit) {
  const lines = linesOf(bytes).filter((l) => l.start >= split.start && l.start < split.end);
  return { lines, last: lines.length === 0 ? split.start : lines[lines.length - 1].end };
}

/** The line an item's offset lies in (a BOM shifts the first line's offset past its first byte). */
const lineStartOf = (bytes: Buffer, at: number) => linesOf(bytes).find((l) => at >= l.start && at < l.end)!.start;

describe('planFileSplits', () => {
  it('cuts [0, size) into count contiguous ranges of ceil(size / count) bytes, the last ones shorter or empty', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.integer({ min: 1, max: 64 }), (size, count) => {
        const splits = planFileSplits(size, count);
        const length = Math.ceil(size / count);
        expect(splits).toHaveLength(count);
        splits.forEach((split, i) => {
          expect(split.index).toBe(i);
          expect(split.start).toBe(i === 0 ? 0 : splits[i - 1].end);
          expect(split.end - split.start).toBe(Math.max(0, Math.min(length, size - split.start)));
        });
        expect(splits[count - 1].end).toBe(size);
      }),
    );
    expect(planFileSplits(10, 4)).toEqual([
      { index: 0, start: 0, end: 3 },
      { index: 1, start: 3, end: 6 },
      { index: 2, start: 6, end: 9 },
      { index: 3, start: 9, end: 10 },
    ]);
    expect(planFileSplits(0, 2)).toEqual([
      { index: 0, start: 0, end: 0 },
      { index: 1, start: 0, end: 0 },
    ]);
  });

  it('refuses a count that is not a whole number ≥ 1, or a size that is not a byte count, with a RangeError', () => {
    for (const count of [0, -1, 1.5, NaN, Infinity, '2' as unknown as number]) {
      expect(() => planFileSplits(100, count)).toThrow(
        new RangeError(`planFileSplits: count must be a whole number of splits ≥ 1, got ${count}`),
      );
    }
    for (const size of [-1, 0.5, NaN, undefined as unknown as number]) {
      expect(() => planFileSplits(size, 2)).toThrow(RangeError);
      expect(() => planFileSplits(size, 2)).toThrow(/planFileSplits: size must be a file's length in bytes, an integer ≥ 0/);
    }
  });
});

describe('fromJsonlSplit', () => {
  it('the splits, read in order, give what one fromJsonl read gives; each line is read by the split its first byte lies in', async () => {
    await fc.assert(
      fc.asyncProperty(jsonlFile, readOptions, fc.integer({ min: 1, max: 12 }), async (bytes, options, count) => {
        const path = fileWith(bytes);
        const whole = await readAll(fromJsonl(path, options));
        const splits = planFileSplits(bytes.length, Math.min(count, bytes.length + 2));
        const reads: Read[] = [];
        for (const split of splits) reads.push(await readAll(fromJsonlSplit(path, split, options)));

        expect(reads.flatMap((r) => r.items)).toEqual(whole.items);
        splits.forEach((split, i) => {
          const { lines, last } = owned(bytes, split);
          const starts = new Set(lines.map((l) => l.start));
          for (const item of reads[i].items) expect(starts.has(lineStartOf(bytes, item.at))).toBe(true);
          expect([...reads[i].partitions].every((p) => p === split.index)).toBe(true);
          // Its position starts at the split and ends after its last line, blank ones included.
          expect(reads[i].positions[0]).toBe(split.start);
          expect(reads[i].positions.at(-1)).toBe(last);
        });
        // The lines the splits own tile the file: each is read by exactly one.
        expect(splits.flatMap((s) => owned(bytes, s).lines)).toEqual(linesOf(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('restored at any position of a split, it reads the rest of that split', async () => {
    await fc.assert(
      fc.asyncProperty(
        jsonlFile,
        readOptions,
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        fc.nat(),
        async (bytes, options, count, pick, at) => {
          const path = fileWith(bytes);
          const splits = planFileSplits(bytes.length, count);
          const split = splits[pick % splits.length];
          const full = await readAll(fromJsonlSplit(path, split, options));
          // Every position the split can hold: its start and the end of each of its lines.
          const positions = [split.start, ...owned(bytes, split).lines.map((l) => l.end)];
          const from = positions[at % positions.length];
          const rest = await readAll(fromJsonlSplit(path, split, options), from);
          expect(rest.items).toEqual(full.items.filter((item) => item.at >= from));
          expect(rest.positions[0]).toBe(from);
          expect(rest.positions.at(-1)).toBe(full.positions.at(-1));
          // The positions it reported are among them.
          for (const p of full.positions) expect(positions).toContain(p);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a position before the split, past its last line or inside a line, naming why', async () => {
    await fc.assert(
      fc.asyncProperty(jsonlFile, fc.integer({ min: 2, max: 8 }), fc.nat(), fc.nat(), async (bytes, count, pick, at) => {
        const path = fileWith(bytes);
        const splits = planFileSplits(bytes.length, count);
        const split = splits[pick % splits.length];
        const { last } = owned(bytes, split);
        const lines = linesOf(bytes);
        const valid = (p: number) => p === split.start || (p > split.start && p <= last && lines.some((l) => l.end === p));
        // Every line boundary the split does not own, and one position inside a line.
        const inside = Array.from({ length: bytes.length }, (_, p) => p + 1).filter((p) => !lines.some((l) => l.end === p));
        const wrong = [0, ...lines.map((l) => l.end), ...(inside.length > 0 ? [inside[at % inside.length]] : [])].filter((p) => !valid(p));
        for (const p of wrong) {
          const ending = lines.find((l) => l.end === p);
          const why =
            p < split.start
              ? `byte ${p} is before the split, which starts at byte ${split.start}`
              : ending === undefined
                ? `byte ${p - 1} is not the end of a line`
                : ending.start < split.start
                  ? `the line that ends at byte ${p} begins before the split, which starts at byte ${split.start}`
                  : `the line that ends at byte ${p} begins at or after the split's end, byte ${split.end}`;
          const error = await readAll(fromJsonlSplit(path, split), p).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StreamkitError);
          expect((error as StreamkitError).code).toBe('SOURCE_FAILED');
          expect((error as Error).message).toContain(`fromJsonlSplit: cannot resume ${path} at the checkpoint's position: ${why}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a job over a union of the splits, stopped part-way and restored from its checkpoint, reads each line once', async () => {
    await fc.assert(
      fc.asyncProperty(
        jsonlFile,
        readOptions,
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 5 }),
        async (bytes, options, count, cuts) => {
          const path = fileWith(bytes);
          const splits = planFileSplits(bytes.length, count);
          const whole = await readAll(fromJsonl(path, options));
          const state = memoryState();
          // The first run's split i ends after cuts[i] polls: its final checkpoint holds each split's position there.
          const cut = (split: FileSplit, polls: number): Source<unknown> => {
            const inner = fromJsonlSplit(path, split, options);
            let polled = 0;
            return { ...inner, poll: () => (polled++ < polls ? inner.poll() : { kind: 'end' }) };
          };
          const runs = [];
          for (const source of [
            (s: FileSplit) => cut(s, cuts[s.index % cuts.length]),
            (s: FileSplit) => fromJsonlSplit(path, s, options),
          ]) {
            const out = toArray<unknown>();
            const dead = toArray<DeadLetter>();
            await union(...splits.map((s) => from(source(s))))
              .deadLetters(dead)
              .to(out)
              .run({ state, batchSize: options.batchSize, checkpointEvery: { records: 1 } });
            runs.push({ out: out.items, dead: dead.items });
          }
          const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();
          expect(sorted(runs.flatMap((r) => r.out))).toEqual(sorted(whole.items.filter((i) => i.dead === undefined).map((i) => i.value)));
          const offsets = runs.flatMap((r) => r.dead.map((d) => d.position!.offset)).sort((a, b) => a - b);
          expect(offsets).toEqual(whole.items.filter((i) => i.dead !== undefined).map((i) => i.at));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('splits cut at line boundaries own the line that starts at their start, and refuse the positions of their neighbours', async () => {
    const path = fileWith(text('{"a":1}\n{"a":2}\n{"a":3}\n'));
    const [first, second, third] = planFileSplits(24, 3);
    expect((await readAll(fromJsonlSplit(path, second))).items).toEqual([{ at: 8, value: { a: 2 } }]);
    expect((await readAll(fromJsonlSplit(path, second), 8)).items).toEqual([{ at: 8, value: { a: 2 } }]);
    expect((await readAll(fromJsonlSplit(path, second), 16)).items).toEqual([]);
    const refused = async (split: FileSplit, p: number) =>
      ((await readAll(fromJsonlSplit(path, split), p).catch((e: unknown) => e)) as Error).message;
    expect(await refused(first, 16)).toContain("the line that ends at byte 16 begins at or after the split's end, byte 8");
    expect(await refused(second, 24)).toContain("the line that ends at byte 24 begins at or after the split's end, byte 16");
    expect(await refused(third, 8)).toContain('byte 8 is before the split, which starts at byte 16');
    expect(await refused(third, 20)).toContain('byte 19 is not the end of a line');
  });

  it('reads a line longer than a read and a character cut by a split as one line', async () => {
    const long = JSON.stringify({ s: '東京🚕'.repeat(40) });
    const bytes = text(`\ufeff{"a":1}\r\n${long}\n\n{"é":"ü"}`);
    const path = fileWith(bytes);
    const whole = await readAll(fromJsonl(path, { readBytes: 7 }));
    // Every cut of a split count up to 40, and counts that put a split boundary on each byte of the first lines.
    for (const count of new Set([
      ...Array.from({ length: 40 }, (_, i) => i + 1),
      ...Array.from({ length: 30 }, (_, i) => Math.ceil(bytes.length / (i + 1))),
    ])) {
      const reads = [];
      for (const split of planFileSplits(bytes.length, count)) reads.push(await readAll(fromJsonlSplit(path, split, { readBytes: 7 })));
      expect(reads.flatMap((r) => r.items)).toEqual(whole.items);
    }
    expect(whole.items).toEqual([
      { at: 3, value: { a: 1 } },
      { at: 12, value: JSON.parse(long) },
      { at: 12 + Buffer.byteLength(long) + 2, value: { é: 'ü' } },
    ]);
  });

  it('refuses a file shorter than the split, and a bad split, path or option at the call site', async () => {
    const path = fileWith(text('{"a":1}\n{"a":2}\n'));
    const error = await readAll(fromJsonlSplit(path, { index: 1, start: 8, end: 40 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamkitError);
    expect((error as StreamkitError).code).toBe('SOURCE_FAILED');
    expect((error as Error).message).toBe(
      `fromJsonlSplit: cannot read ${path} from byte 8 to 40: the file has 16 bytes: it was truncated or replaced since it was split`,
    );
    expect(() => fromJsonlSplit('', { index: 0, start: 0, end: 1 })).toThrow(TypeError);
    expect(() => fromJsonlSplit(path, null as unknown as FileSplit)).toThrow(TypeError);
    expect(() => fromJsonlSplit(path, { index: 0, start: 5, end: 4 })).toThrow(
      new RangeError(
        'fromJsonlSplit(path, split): split must have integers 0 ≤ index and 0 ≤ start ≤ end, got {"index":0,"start":5,"end":4}',
      ),
    );
    expect(() => fromJsonlSplit(path, { index: -1, start: 0, end: 4 })).toThrow(RangeError);
    expect(() => fromJsonlSplit(path, { index: 0, start: 0, end: 4 }, { readBytes: 0 })).toThrow(
      new RangeError('fromJsonlSplit: option readBytes must be a positive integer, got 0'),
    );
    expect(() => fromJsonlSplit(path, { index: 0, start: 0, end: 4 }, { chunk: 1 } as JsonlSourceOptions)).toThrow(
      /fromJsonlSplit: unknown option "chunk"/,
    );
  });
});
