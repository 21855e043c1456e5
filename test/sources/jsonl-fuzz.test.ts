/**
 * fromJsonl under hostile bytes: random bytes, broken UTF-8 (overlong forms, surrogates,
 * truncated sequences), deep nesting, lines over the limit, CRLF, a byte-order mark, an appended
 * partial last line, and random read sizes. Every line is a record or a dead letter at its byte
 * offset, the job never fails, and positions are exact: stopping at any poll and resuming from
 * the position gives each record and dead letter exactly once.
 */
import { isUtf8 } from 'node:buffer';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import type { Source, SourceContext } from '../../src/core/source.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray, toJsonl } from '../../src/sinks/index.js';
import { fromJsonl, type JsonlSourceOptions } from '../../src/sources/index.js';
import { invalidUtf8At, LineSplitter, type SplitLine } from '../../src/sources/line-splitter.js';
import { memoryState } from '../../src/state/index.js';

const dir = mkdtempSync(join(tmpdir(), 'streamkit-jsonl-fuzz-'));
let files = 0;
function fileWith(bytes: Buffer): string {
  const path = join(dir, `in-${files++}.jsonl`);
  writeFileSync(path, bytes);
  return path;
}

// ---- The model: what each line of a file must become, computed the plain way. ----

type Kind = 'utf8' | 'long' | 'unparseable' | 'deep';
interface ModelLine {
  at: number;
  end: number;
  /** Text without the terminator, or undefined for a line that is not UTF-8 or too long. */
  text?: string;
  kind?: 'utf8' | 'long';
  bytes: Buffer;
  terminated: boolean;
}
interface Outcome {
  records: Array<{ at: number; value: unknown }>;
  dead: Array<{ at: number; kind: Kind }>;
}

/** Splits on `\n` with offsets; a final segment without newline is a line when not empty. */
function modelLines(file: Buffer, maxLineBytes: number): ModelLine[] {
  const lines: ModelLine[] = [];
  let start = 0;
  while (start < file.length) {
    const nl = file.indexOf(0x0a, start);
    const terminated = nl >= 0;
    const stop = terminated ? nl : file.length;
    const end = terminated ? nl + 1 : file.length;
    let bytes = file.subarray(start, stop);
    let at = start;
    if (bytes.length > maxLineBytes) {
      lines.push({ at, end, kind: 'long', bytes, terminated });
    } else {
      if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
      if (at === 0 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3);
        at = 3;
      }
      const text = isUtf8(bytes) ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) : undefined;
      lines.push({ at, end, text, kind: text === undefined ? 'utf8' : undefined, bytes, terminated });
    }
    start = end;
  }
  return lines;
}

/** Nesting depth of a parsed value, with an explicit stack. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

function model(file: Buffer, options: { maxLineBytes: number; maxDepth: number }): Outcome {
  const out: Outcome = { records: [], dead: [] };
  for (const line of modelLines(file, options.maxLineBytes)) {
    if (line.kind) {
      out.dead.push({ at: line.at, kind: line.kind });
      continue;
    }
    if (/^[ \t\r]*$/.test(line.text!)) continue;
    let value: unknown;
    try {
      value = JSON.parse(line.text!);
    } catch {
      out.dead.push({ at: line.at, kind: 'unparseable' });
      continue;
    }
    if (depthOf(value) > options.maxDepth) out.dead.push({ at: line.at, kind: 'deep' });
    else out.records.push({ at: line.at, value });
  }
  return out;
}

function kindOf(reason: string): Kind {
  if (reason.startsWith('line is not valid UTF-8')) return 'utf8';
  if (/^line of \d+ bytes is longer than maxLineBytes/.test(reason)) return 'long';
  if (reason.startsWith('unparseable line: ')) return 'unparseable';
  if (reason.startsWith('line nests arrays and objects deeper than maxDepth')) return 'deep';
  throw new Error(`unexpected dead-letter reason ${reason}`);
}

// ---- Hostile files. ----

const BROKEN_UTF8 = [
  [0xc0, 0x80], // overlong NUL
  [0xc1, 0xbf], // overlong
  [0xe0, 0x80, 0xaf], // overlong 3-byte
  [0xf0, 0x80, 0x80, 0xaf], // overlong 4-byte
  [0xed, 0xa0, 0x80], // high surrogate
  [0xed, 0xbf, 0xbf], // low surrogate
  [0xe2, 0x82], // truncated
  [0xf0, 0x9f, 0x98], // truncated 4-byte
  [0x80], // lone continuation
  [0xff],
  [0xfe],
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
].map((b) => Buffer.from(b));

const text = (s: string) => Buffer.from(s, 'utf8');
const piece: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.json({ maxDepth: 3 }).map(text) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 12 }).map((d) => text('['.repeat(d) + ']'.repeat(d))) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 10 }).map((d) => text('{"a":'.repeat(d) + '"[{"' + '}'.repeat(d))) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...BROKEN_UTF8), fc.string({ maxLength: 6 }))
      .map(([bad, s]) => Buffer.concat([text(`{"s":"${s.replace(/["\\\n]/g, '')}`), bad, text('"}')])),
  },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 300 }).map((n) => text(`"${'x'.repeat(n)}"`)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '\r', ' \t ', '\u00a0', '\ufeff').map(text) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(text) },
);
/** A last line without newline: a whole piece, or one cut short as a crashed writer leaves it. */
const tail = fc.oneof(
  piece,
  fc.json().chain((t) => fc.integer({ min: 0, max: t.length }).map((k) => text(t.slice(0, k)))),
);
const hostileFile = fc
  .record({ bom: fc.boolean(), lines: fc.array(fc.tuple(piece, fc.constantFrom('\n', '\r\n')), { maxLength: 25 }), tail: fc.option(tail) })
  .map(({ bom, lines, tail }) =>
    Buffer.concat([
      bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
      ...lines.flatMap(([p, t]) => [p, text(t)]),
      tail ?? Buffer.alloc(0),
    ]),
  );
const limits = fc.record({
  maxLineBytes: fc.integer({ min: 4, max: 160 }),
  maxDepth: fc.integer({ min: 1, max: 8 }),
  readBytes: fc.integer({ min: 1, max: 64 }),
  batchSize: fc.integer({ min: 1, max: 6 }),
});

// ---- Driving the source directly, stopping and resuming at chosen polls. ----

function context(restoreFrom: unknown, batchSize: number): SourceContext {
  return { restoreFrom, batchSize, now: () => 0, signal: new AbortController().signal };
}

/** Reads the whole file, closing the source after each poll listed in `stops` and reopening it at its position. */
async function readResuming(path: string, options: JsonlSourceOptions, stops: ReadonlySet<number>, size: number) {
  const seen: Outcome = { records: [], dead: [] };
  let restore: unknown;
  let polls = 0;
  let lastPosition = 0;
  for (;;) {
    const source: Source<unknown> = fromJsonl(path, options);
    await source.open(context(restore, 4));
    for (;;) {
      const r = await source.poll();
      if (r.kind === 'end') {
        await source.close?.();
        expect(source.position()).toBe(size);
        return seen;
      }
      polls++;
      if (r.kind === 'batch') {
        r.batch.values.forEach((value, i) => seen.records.push({ at: r.batch.positions[i], value }));
        for (const d of r.deadLetters ?? []) {
          expect(d.position?.partition).toBe(0);
          seen.dead.push({ at: d.position!.offset, kind: kindOf(d.reason) });
        }
      }
      const position = source.position() as number;
      expect(position).toBeGreaterThanOrEqual(lastPosition);
      expect(position).toBeLessThanOrEqual(size);
      lastPosition = position;
      if (stops.has(polls)) {
        restore = position;
        await source.close?.();
        break;
      }
    }
  }
}

describe('fromJsonl fuzz', () => {
  it('every line is a record or a dead letter at its byte offset, for any bytes and any read size', async () => {
    await fc.assert(
      fc.asyncProperty(hostileFile, limits, async (bytes, options) => {
        const path = fileWith(bytes);
        const seen = await readResuming(path, options, new Set(), bytes.length);
        expect(seen).toEqual(model(bytes, options));
      }),
      { numRuns: 300 },
    );
  });

  it('stopping at any polls and resuming from the position gives each record and dead letter exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileFile,
        limits,
        fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 5 }),
        async (bytes, options, stops) => {
          const path = fileWith(bytes);
          const resumed = await readResuming(path, options, new Set(stops), bytes.length);
          expect(resumed).toEqual(model(bytes, options));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a job never fails on hostile input, and a restore from its checkpoint resumes at the right byte', async () => {
    await fc.assert(
      fc.asyncProperty(hostileFile, limits, fc.integer({ min: 0, max: 100 }), async (bytes, options, percent) => {
        const path = fileWith(bytes);
        const expected = model(bytes, options);
        const state = memoryState();
        // Each poll hands out `batchSize` lines: stop somewhere among the polls the whole file takes.
        const polls = Math.round((percent / 100) * Math.ceil(modelLines(bytes, options.maxLineBytes).length / options.batchSize));

        // A first run whose input ends after `polls` polls: its final checkpoint holds the source's position there.
        const inner = fromJsonl(path, options);
        let polled = 0;
        const cut: Source<unknown> = { ...inner, poll: () => (polled++ < polls ? inner.poll() : { kind: 'end' }) };
        const first = { out: toArray<unknown>(), dead: toArray<DeadLetter>() };
        await from(cut)
          .deadLetters(first.dead)
          .to(first.out)
          .run({ state, batchSize: options.batchSize, checkpointEvery: { records: 1 } });

        // The second run restores that checkpoint and reads the rest of the file.
        let restoredAt: unknown;
        const rest = fromJsonl(path, options);
        const watched: Source<unknown> = {
          ...rest,
          open: (ctx) => {
            restoredAt = ctx.restoreFrom ?? 0;
            return rest.open(ctx);
          },
        };
        const second = { out: toArray<unknown>(), dead: toArray<DeadLetter>() };
        const written = toJsonl(join(dir, `out-${files++}.jsonl`), { sync: false });
        await from(watched)
          .branch((s) => s.to(written))
          .deadLetters(second.dead)
          .to(second.out)
          .run({ state, batchSize: options.batchSize });

        const p = restoredAt as number;
        expect(p).toBe(inner.position());
        expect(p === 0 || modelLines(bytes, options.maxLineBytes).some((l) => l.end === p)).toBe(true);
        const dead = (letters: DeadLetter[]) => letters.map((d) => ({ at: d.position!.offset, kind: kindOf(d.reason) }));
        expect(first.out.items).toEqual(expected.records.filter((r) => r.at < p).map((r) => r.value));
        expect(dead(first.dead.items)).toEqual(expected.dead.filter((d) => d.at < p));
        expect(second.out.items).toEqual(expected.records.filter((r) => r.at >= p).map((r) => r.value));
        expect(dead(second.dead.items)).toEqual(expected.dead.filter((d) => d.at >= p));
      }),
      { numRuns: 120 },
    );
  });
});

describe('LineSplitter', () => {
  it('splits bytes pushed in chunks of any sizes exactly as one pass over the whole file', () => {
    fc.assert(
      fc.property(
        hostileFile,
        fc.integer({ min: 4, max: 160 }),
        fc.array(fc.integer({ min: 0, max: 64 }), { maxLength: 40 }),
        (bytes, maxLineBytes, cuts) => {
          const lines: SplitLine[] = [];
          const splitter = new LineSplitter({ start: 0, maxLineBytes });
          let at = 0;
          for (const size of cuts) {
            if (at >= bytes.length) break;
            splitter.push(bytes.subarray(at, at + size), lines);
            at += size;
          }
          if (at < bytes.length) splitter.push(bytes.subarray(at), lines);
          splitter.finish(lines);
          const expected = modelLines(bytes, maxLineBytes);
          expect(lines.map((l) => [l.at, l.end, l.text, l.terminated])).toEqual(expected.map((l) => [l.at, l.end, l.text, l.terminated]));
          lines.forEach((line, i) => {
            if (expected[i].kind === 'utf8') expect(line.raw).toEqual(expected[i].bytes);
            if (expected[i].kind === 'long') expect(line.raw).toBe(expected[i].bytes.subarray(0, 1024).toString('utf8'));
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('invalidUtf8At finds the first byte isUtf8 objects to, and nothing in valid text', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.string({ unit: 'binary', maxLength: 12 }).map((s) => new Uint8Array(Buffer.from(s))),
      fc
        .tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...BROKEN_UTF8), fc.string({ maxLength: 6 }))
        .map(([a, bad, b]) => new Uint8Array(Buffer.concat([text(a), bad, text(b)]))),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const bad = invalidUtf8At(b, 0, b.length);
        expect(bad === -1).toBe(isUtf8(b));
        if (bad >= 0) {
          expect(isUtf8(b.subarray(0, bad))).toBe(true);
          expect(isUtf8(b.subarray(0, Math.min(b.length, bad + 4)))).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
