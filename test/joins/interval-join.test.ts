import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  boundedOutOfOrderness,
  count,
  from,
  fromArray,
  levelState,
  PipelineError,
  StateError,
  toArray,
  tumbling,
  type DeadLetter,
  type JoinOptions,
  type LateRecord,
  type WindowResult,
} from '../../src/index.js';
import { stopAndResume, stoppingAfter } from '../pipeline/stopping-after.js';

interface Trip {
  id: string;
  at: number;
}
interface Tip {
  trip: string;
  at: number;
  amount?: number;
}

const trips = (list: Trip[], batchSize = 1) => from(fromArray(list, { batchSize })).withTimestamps((t) => t.at, boundedOutOfOrderness(0));
const tips = (list: Tip[], batchSize = 1) => from(fromArray(list, { batchSize })).withTimestamps((t) => t.at, boundedOutOfOrderness(0));

describe('join options', () => {
  const t = trips([]).keyBy((x) => x.id);
  const p = tips([]).keyBy((x) => x.trip);
  const joinWith = (options: unknown) => () => t.join(p, options as JoinOptions, (a, b) => [a, b]);

  it('names the bad option', () => {
    expect(joinWith({})).toThrow(/within is required/);
    expect(joinWith({ within: '10 minutes' })).toThrow(/join within/);
    expect(joinWith({ within: { before: '1m' } })).toThrow(/join within.after/);
    expect(joinWith({ within: { before: '1m', after: '1m', around: 1 } })).toThrow(/around/);
    expect(joinWith({ within: '1m', kind: 'full' })).toThrow(/kind must be one of inner, left, outer/);
    expect(joinWith({ within: '1m', allowedLateness: -1 })).toThrow(/allowedLateness/);
    expect(joinWith({ within: '1m', window: '1m' })).toThrow(/window/);
    expect(() => t.join(p, { within: '1m' }, 'fn' as never)).toThrow(TypeError);
  });

  it('needs both sides timestamped and keyed', () => {
    expect(() =>
      t.join(
        from(fromArray<Tip>([])).keyBy((x) => x.trip),
        { within: '1m' },
        (a, b) => [a, b],
      ),
    ).toThrow(/right stream needs event time/);
    expect(() => trips([]).join(p as never, { within: '1m' }, (a, b) => [a, b])).toThrow(PipelineError);
    expect(() => trips([]).join(p as never, { within: '1m' }, (a, b) => [a, b])).toThrow(/left stream must be keyed/);
  });
});

describe('interval join', () => {
  it('pairs records of equal keys within { before, after }, at the later timestamp, keyed', async () => {
    const out = toArray<{ pair: string; time: number }>();
    const left = trips([
      { id: 'a', at: 100 },
      { id: 'b', at: 100 },
    ]).keyBy((t) => t.id);
    const right = tips([
      { trip: 'a', at: 89 }, // before the lower bound (100 - 10)
      { trip: 'a', at: 90 }, // on it
      { trip: 'a', at: 130 }, // on the upper bound (100 + 30)
      { trip: 'a', at: 131 }, // past it
      { trip: 'c', at: 100 }, // another key
    ]).keyBy((p) => p.trip);
    const joined = left.join(right, { within: { before: 10, after: 30 } }, (t, p) => `${t.id}@${t.at}+${p.at}`);
    const keys = toArray<WindowResult>();
    await joined
      .map((pair) => ({ pair, time: 0 }))
      .to(out)
      .run();
    expect(out.items.map((r) => r.pair).sort()).toEqual(['a@100+130', 'a@100+90']);
    // Results keep the key and carry max(tl, tr): a window after the join groups them by key.
    await joined.window(tumbling(1000)).aggregate(count()).to(keys).run();
    expect(keys.items.map((r) => [r.key, r.value])).toEqual([['a', 2]]);
  });

  it('reports an unmatched left record with null only once no partner can still arrive, never before a match', async () => {
    const out = toArray<string>();
    // The right side runs ahead: its watermark passes 100 + after long before the left one's.
    const left = trips([
      { id: 'a', at: 100 },
      { id: 'x', at: 300 },
      { id: 'x', at: 400 },
    ]).keyBy((t) => t.id);
    const right = tips([
      { trip: 'z', at: 150 },
      // Arrives when W = 149: past the left record's own bound (100 + 20), within its own (120 + 30).
      { trip: 'a', at: 120 },
      { trip: 'z', at: 500 },
    ]).keyBy((p) => p.trip);
    await left
      .join(right, { within: { before: 30, after: 20 }, kind: 'left' }, (t, p) => `${t.id}@${t.at}:${p ? p.at : 'null'}`)
      .to(out)
      .run();
    expect(out.items).toEqual(['a@100:120', 'x@300:null', 'x@400:null']);
  });

  it('outer joins report both sides’ unmatched records, each once', async () => {
    const out = toArray<string>();
    const left = trips([
      { id: 'a', at: 10 },
      { id: 'b', at: 20 },
    ]).keyBy((t) => t.id);
    const right = tips([
      { trip: 'a', at: 12 },
      { trip: 'c', at: 14 },
    ]).keyBy((p) => p.trip);
    await left
      .join(right, { within: 5, kind: 'outer' }, (t, p) => `${t?.id ?? '-'}:${p?.trip ?? '-'}`)
      .to(out)
      .run();
    expect(out.items.sort()).toEqual(['-:c', 'a:a', 'b:-']);
  });

  it('sends records whose bound closed to .late(), with the partner times they missed', async () => {
    const out = toArray<string>();
    const late = toArray<LateRecord<Tip>>();
    const left = trips([{ id: 'a', at: 1000 }]).keyBy((t) => t.id);
    const right = from(
      fromArray(
        [
          { trip: 'a', at: 1000 },
          { trip: 'a', at: 900 },
          { trip: 'a', at: 880 },
        ],
        { batchSize: 1 },
      ),
    )
      .withTimestamps((p) => p.at, boundedOutOfOrderness(200))
      .keyBy((p) => p.trip);
    // Union watermark after the right's first batch and the left's: min(999, 799) = 799. A right
    // record is late once W >= tr + before + allowedLateness: 880 + 10 + 0 > 799, so nothing is
    // late yet; then the left ends and W follows the right alone.
    await left
      .join(right, { within: 10 }, (t, p) => `${t.at}+${p.at}`)
      .late(late)
      .to(out)
      .run();
    expect(out.items).toEqual(['1000+1000']);
    expect(late.items).toEqual([]);

    const late2 = toArray<LateRecord<Tip>>();
    const right2 = tips(
      [
        { trip: 'a', at: 1000 },
        { trip: 'a', at: 2000 },
        { trip: 'a', at: 1500 },
      ],
      1,
    ).keyBy((p) => p.trip);
    const left2 = trips([{ id: 'a', at: 3000 }]).keyBy((t) => t.id);
    await left2
      .join(right2, { within: 10, allowedLateness: 5 }, (t, p) => `${t.at}+${p.at}`)
      .late(late2)
      .to(toArray())
      .run();
    // 1500 arrives when the right's watermark is 1999 (the left is at 2999): 1500 + 10 + 5 <= 1999.
    expect(late2.items).toEqual([{ record: { trip: 'a', at: 1500 }, window: { start: 1490, end: 1511 }, watermark: 1999 }]);
  });

  it('takes a .uid(): its state and metrics go under that id, a second use of it is refused', async () => {
    const left = () => trips([{ id: 'a', at: 10 }]).keyBy((t) => t.id);
    const right = () => tips([{ trip: 'a', at: 12, amount: 5 }]).keyBy((p) => p.trip);
    const out = toArray<string>();
    const job = left()
      .join(right(), { within: 5 }, (t, p) => `${t.at}+${p.at}`)
      .uid('trip-tips')
      .to(out)
      .run();
    await job;
    expect(out.items).toEqual(['10+12']);
    expect(job.metrics.get('join_pairs', { operator: 'trip-tips' })).toBe(1);
    const twice = left()
      .join(right(), { within: 5 }, (t, p) => `${t.at}+${p.at}`)
      .uid('trip-tips')
      .keyBy((s) => s)
      .window(tumbling(10))
      .uid('trip-tips')
      .aggregate(count());
    await expect(twice.to(toArray()).run()).rejects.toThrow(/operator id "trip-tips" is used twice/);
  });

  it('dead-letters the record whose join call threw; it changes nothing else', async () => {
    const out = toArray<string>();
    const dead = toArray<DeadLetter>();
    const left = trips([
      { id: 'a', at: 10 },
      { id: 'a', at: 11 },
    ]).keyBy((t) => t.id);
    const right = tips([
      { trip: 'a', at: 12, amount: -1 }, // the join function refuses it: it matches nothing
      { trip: 'a', at: 13, amount: 5 },
    ]).keyBy((p) => p.trip);
    const job = left
      .join(right, { within: 5, kind: 'left' }, (t, p) => {
        if (p && (p.amount ?? 0) < 0) throw new Error('negative tip');
        return `${t.at}+${p ? p.at : 'null'}`;
      })
      .deadLetters(dead)
      .to(out)
      .run();
    await job;
    expect(out.items.sort()).toEqual(['10+13', '11+13']);
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0].raw).toEqual({ trip: 'a', at: 12, amount: -1 });
    expect(dead.items[0].reason).toMatch(/join function threw Error: negative tip/);
    expect(job.metrics.get('join_pairs', { operator: 'join#0' })).toBe(2);
  });

  it('holds the watermark back by before + after + allowedLateness, so no result is late after it', async () => {
    const late = toArray();
    const out = toArray<WindowResult>();
    const list: Trip[] = Array.from({ length: 40 }, (_, i) => ({ id: `t${i % 4}`, at: i * 10 }));
    // Nothing on the right: every left record comes out unmatched, at its own time, long after it.
    await trips(list, 3)
      .keyBy((t) => t.id)
      .join(
        tips([]).keyBy((p) => p.trip),
        { within: { before: 50, after: 70 }, kind: 'left', allowedLateness: 15 },
        (t) => t,
      )
      .window(tumbling(100))
      .aggregate(count())
      .late(late)
      .to(out)
      .run();
    expect(late.items).toEqual([]);
    expect(out.items.reduce((n, r) => n + (r.value as number), 0)).toBe(40);
  });
});

describe('interval join state', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-join-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const left: Trip[] = Array.from({ length: 240 }, (_, i) => ({ id: `t${i % 7}`, at: i * 10 - ((i * 31) % 50) }));
  const right: Tip[] = Array.from({ length: 180 }, (_, i) => ({ trip: `t${i % 5}`, at: i * 13 - ((i * 17) % 50), amount: i }));

  const pipeline = (options: JoinOptions, stopAt: number | undefined, stop: AbortController, batches: [number, number]) =>
    from(stoppingAfter(fromArray(left, { batchSize: batches[0] }), stopAt, stop))
      .withTimestamps((t) => t.at, boundedOutOfOrderness(60))
      .keyBy((t) => t.id)
      .join(
        from(fromArray(right, { batchSize: batches[1] }))
          .withTimestamps((p) => p.at, boundedOutOfOrderness(60))
          .keyBy((p) => p.trip),
        options,
        (t: Trip | null, p: Tip | null) => `${t ? t.at : '-'}+${p ? p.amount : '-'}`,
      );

  it('a restore from a stop at any point gives the output of a run never stopped (levelState)', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 2, max: 25 }),
        fc.integer({ min: 2, max: 25 }),
        fc.constantFrom<JoinOptions['kind']>('inner', 'left', 'outer'),
        async (stopAt, ba, bb, kind) => {
          const options: JoinOptions = { within: { before: 40, after: 25 }, kind, allowedLateness: 10 };
          const { whole, resumed } = await stopAndResume(
            (at, stop) => pipeline(options, at, stop, [ba, bb]),
            stopAt,
            join(dir, `run-${++runs}`),
            { records: 40 },
          );
          expect([...resumed].sort()).toEqual([...whole].sort());
        },
      ),
      { numRuns: 12 },
    );
  });

  it('refuses to restore buffers taken with other bounds or another kind', async () => {
    const state = join(dir, 'bounds');
    const stop = new AbortController();
    await pipeline({ within: '40ms' }, 10, stop, [5, 5])
      .to(toArray())
      .run({ state: levelState(state), checkpointEvery: { records: 40 }, signal: stop.signal });
    const job = pipeline({ within: '40ms', kind: 'left' }, undefined, new AbortController(), [5, 5])
      .to(toArray())
      .run({ state: levelState(state) });
    await expect(job).rejects.toThrow(StateError);
    await expect(job).rejects.toThrow(/operator join#0: kind was "inner", now "left"/);
  });
});
