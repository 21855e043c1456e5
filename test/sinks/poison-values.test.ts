// Sinks never fail on a value they were given: an item a sink cannot write becomes a dead letter
// with the reason, and the job goes on (no poison pill that fails every restart).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { RecordRejected } from '../../src/core/errors.js';
import { from } from '../../src/pipeline/stream.js';
import { fromArray } from '../../src/sources/array-source.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { toJsonl } from '../../src/sinks/jsonl-sink.js';
import { readLevelTable, toLevel } from '../../src/sinks/level-sink.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'streamkit-poison-'));

/** An object nested `depth` levels deep: `{ d: { d: … { d: 0 } } }`. */
function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

function cyclic(): Record<string, unknown> {
  const o: Record<string, unknown> = { name: 'loop' };
  o.self = o;
  return o;
}

const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);

describe('toJsonl never fails on a value it is given', () => {
  it('dead-letters window results with a bigint key and writes the others', async () => {
    const path = join(tempDir(), 'zone.jsonl');
    const dead = toArray<DeadLetter>();
    const summary = await from(
      fromArray([
        { zone: 1, t: 0 },
        { zone: 2, t: 1 },
        { zone: 1, t: 2 },
      ]),
    )
      .withTimestamps((r) => r.t)
      .keyBy((r) => (r.zone === 2 ? BigInt(r.zone) : r.zone))
      .window(tumbling('1m'))
      .aggregate(count())
      .deadLetters(dead)
      .to(toJsonl(path))
      .run();
    const written = readLines(path).map((line) => JSON.parse(line));
    expect(written.map((r) => [r.key, r.value])).toEqual([[1, 2]]);
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0]).toMatchObject({ operator: `jsonl(${path})`, raw: { key: 2n, value: 1 } });
    expect(dead.items[0].reason).toBe('cannot be written as JSON: TypeError: Do not know how to serialize a BigInt');
    expect(summary.deadLetters).toBe(1);
    expect(summary.results).toBe(2);
  });

  it('dead-letters cycles, 100,000-deep values, bare functions and undefined, and what encode throws on', async () => {
    const path = join(tempDir(), 'out.jsonl');
    const dead = toArray<DeadLetter>();
    const items: unknown[] = [{ n: 1 }, cyclic(), nested(100_000), () => 1, undefined, { n: 2 }, Symbol('s'), { n: 3 }];
    const summary = await from(fromArray([0, 1, 2, 3, 4, 5, 6, 7]))
      .map((i) => items[i])
      .deadLetters(dead)
      .to(toJsonl(path))
      .run();
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    expect(dead.items.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^cannot be written as JSON: TypeError: Converting circular structure to JSON/),
      'cannot be written as JSON: RangeError: Maximum call stack size exceeded',
      'has no JSON text (got undefined)',
      'has no JSON text (got undefined)',
      'has no JSON text (got undefined)',
    ]);
    expect(dead.items[2].raw).toBe(items[3]);
    expect(summary.deadLetters).toBe(5);

    const custom = join(tempDir(), 'custom.jsonl');
    const refused = toArray<DeadLetter>();
    await from(fromArray([1, 2, 3, 4]))
      .deadLetters(refused)
      .to(
        toJsonl(custom, {
          encode: (n) => {
            if (n === 2) throw new RangeError('two is not allowed');
            return n === 3 ? (null as unknown as string) : `<${n}>`;
          },
        }),
      )
      .run();
    expect(readFileSync(custom, 'utf8')).toBe('<1>\n<4>\n');
    expect(refused.items.map((d) => [d.raw, d.reason])).toEqual([
      [2, 'cannot be written as JSON: RangeError: two is not allowed'],
      [3, 'has no JSON text (got null)'],
    ]);
  });

  it('validates its options at the call site', () => {
    expect(() => toJsonl('x.jsonl', { encode: 'json' as never })).toThrow(/toJsonl: option encode must be a function/);
    expect(() => toJsonl('x.jsonl', { encode: String, stringify: String })).toThrow(/encode or stringify, not both/);
    expect(() => toJsonl('x.jsonl', { format: 'json' } as never)).toThrow(/toJsonl: unknown option "format"/);
  });
});

describe('toLevel never fails on a value it is given', () => {
  it('dead-letters bigints, cycles, items without an id and an idOf that throws, and stores the others', async () => {
    const dir = join(tempDir(), 'table');
    const dead = toArray<DeadLetter>();
    const items: unknown[] = [{ id: 'a', n: 1 }, { id: 'b', n: 2n }, { ...cyclic(), id: 'c' }, { n: 4 }, { id: 'boom' }, { id: 'f', n: 6 }];
    const summary = await from(fromArray(items))
      .deadLetters(dead)
      .to(
        toLevel<any>(dir, {
          idOf: (item) => {
            if (item.id === 'boom') throw new Error('no id today');
            return item.id;
          },
        }),
      )
      .run();
    expect([...(await readLevelTable(dir)).entries()]).toEqual([
      ['a', { id: 'a', n: 1 }],
      ['f', { id: 'f', n: 6 }],
    ]);
    expect(dead.items.map((d) => d.reason)).toEqual([
      'the item with id "b" cannot be stored as JSON: TypeError: Do not know how to serialize a BigInt',
      expect.stringMatching(/^the item with id "c" cannot be stored as JSON: TypeError: Converting circular structure/),
      expect.stringMatching(/^an item has no usable id \(got undefined\)/),
      'idOf threw: Error: no id today',
    ]);
    expect(dead.items.every((d) => d.operator === `level(${dir})`)).toBe(true);
    expect(summary.deadLetters).toBe(4);
  });
});

describe('the dead-letter sink writes any dead letter', () => {
  const hostileRaws: Array<[string, () => unknown]> = [
    ['a bigint', () => ({ id: 12345678901234567890n })],
    ['a cycle', cyclic],
    ['100,000 levels of nesting', () => nested(100_000)],
    ['a function', () => ({ f: () => 1, n: 1 })],
    ['a symbol', () => ({ s: Symbol('tag'), n: 2 })],
    ['plain JSON data', () => ({ line: '{"broken' })],
  ];

  it('toJsonl as the dead-letter sink: one JSON line per dead letter, raw rendered when JSON cannot write it', async () => {
    const path = join(tempDir(), 'dead.jsonl');
    const summary = await from(fromArray(hostileRaws.map(([, make]) => make())))
      .map((raw) => {
        throw new RecordRejected(`rejected ${typeof raw}`);
      })
      .deadLetters(toJsonl(path))
      .to(toArray())
      .run();
    // The letters JSON can write come first; those handed back are written again, rendered, after them.
    const lines = readLines(path)
      .map((line) => JSON.parse(line) as DeadLetter)
      .sort((a, b) => a.position!.offset - b.position!.offset);
    expect(summary.deadLetters).toBe(hostileRaws.length);
    expect(lines).toHaveLength(hostileRaws.length);
    expect(lines[0]).toEqual({
      reason:
        'rejected object (raw record shown as plain JSON data: cannot be written as JSON: TypeError: Do not know how to serialize a BigInt)',
      raw: { id: '12345678901234567890' },
      position: { partition: 0, offset: 0 },
      operator: '0-map',
    });
    expect(lines[1].raw).toEqual({ name: 'loop', self: '[circular]' });
    expect(JSON.stringify(lines[2].raw)).toContain('"[too deep]"');
    expect(lines[2].reason).toMatch(/RangeError: Maximum call stack size exceeded\)$/);
    // JSON leaves functions and symbols out, as it does in any line: nothing to refuse.
    expect(lines[3]).toMatchObject({ reason: 'rejected object', raw: { n: 1 } });
    expect(lines[4]).toMatchObject({ reason: 'rejected object', raw: { n: 2 } });
    expect(lines[5]).toMatchObject({ reason: 'rejected object', raw: { line: '{"broken' } });
  });

  it('a dead letter a sink hands back, from a result another sink could not write, is rendered too', async () => {
    const results = join(tempDir(), 'results.jsonl');
    const deadPath = join(tempDir(), 'dead.jsonl');
    await from(fromArray([{ big: 1n }, { ok: true }]))
      .deadLetters(toJsonl(deadPath))
      .to(toJsonl(results))
      .run();
    expect(readFileSync(results, 'utf8')).toBe('{"ok":true}\n');
    const [letter] = readLines(deadPath).map((line) => JSON.parse(line) as DeadLetter);
    expect(letter).toEqual({
      reason:
        'cannot be written as JSON: TypeError: Do not know how to serialize a BigInt (raw record shown as plain JSON data: cannot be written as JSON: TypeError: Do not know how to serialize a BigInt)',
      raw: { big: '1' },
      operator: `jsonl(${results})`,
    });
  });
});
