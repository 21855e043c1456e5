import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  boundedOutOfOrderness,
  count,
  from,
  levelState,
  listState,
  mapState,
  session,
  sum,
  table,
  toArray,
  tumbling,
  valueState,
  type Job,
  type RunOptions,
} from '../../src/index.js';
import { Counter } from './fixtures/counter.js';
import { PausedSource } from './fixtures/paused-source.js';

interface Ride {
  id: string;
  zone: number | string;
  at: number;
  fare: number;
}

const T0 = 1_700_000_000_000;
const ride = (id: string, zone: number | string, offset: number, fare = 1): Ride => ({ id, zone, at: T0 + offset, fare });

/** Per zone, the fare totals and counts of the rides in each 1 s window: what the open windows hold. */
function expectedWindows(rides: Ride[], zone: number | string) {
  const byStart = new Map<number, { n: number; fare: number }>();
  for (const r of rides) {
    if (r.zone !== zone) continue;
    const start = r.at - (r.at % 1000);
    const acc = byStart.get(start) ?? { n: 0, fare: 0 };
    acc.n++;
    acc.fare += r.fare;
    byStart.set(start, acc);
  }
  return [...byStart].sort(([a], [b]) => a - b).map(([start, value]) => ({ window: { start, end: start + 1000 }, value, fired: false }));
}

/** Windows that do not fire while the test reads: the watermark stays an hour behind. */
function zoneTotals(source: PausedSource<Ride>, options: RunOptions = {}): Job {
  return from(source)
    .withTimestamps((r) => r.at, boundedOutOfOrderness('1h'))
    .dedup((r) => r.id, { within: '10m' })
    .uid('ride-dedup')
    .keyBy((r) => r.zone)
    .window(tumbling(1000))
    .aggregate({ n: count(), fare: sum((r: Ride) => r.fare) })
    .uid('zone-totals')
    .to(toArray())
    .run(options);
}

async function feed(source: PausedSource<Ride>, rides: Ride[]): Promise<void> {
  source.push(rides);
  await source.drained();
}

describe('job.query(uid): live keyed state', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-query-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads a window operator between batches: each key its open windows with the aggregate so far', async () => {
    const source = new PausedSource<Ride>();
    const job = zoneTotals(source, { state: levelState(join(root, 'state')) });
    const totals = job.query('zone-totals');
    const first = [ride('a', 114, 10, 5), ride('b', 114, 900, 2), ride('c', 7, 1500, 4), ride('d', 'airport', 20, 9)];
    await feed(source, first);
    expect(await totals.get(114)).toEqual(expectedWindows(first, 114));
    expect(await totals.get(7)).toEqual(expectedWindows(first, 7));
    expect(await totals.get('airport')).toEqual(expectedWindows(first, 'airport'));
    // The number 114 and the string '114' are two keys, as keyBy says.
    expect(await totals.get('114')).toBeUndefined();
    expect(await totals.get(999)).toBeUndefined();

    const second = [ride('e', 114, 1100, 3), ride('a', 114, 30, 5), ride('f', 7, 1600, 1)];
    await feed(source, second);
    // 'a' again is a duplicate: dedup dropped it before the window.
    const seen = [...first, second[0], second[2]];
    expect(await totals.get(114)).toEqual(expectedWindows(seen, 114));
    expect(await totals.get(7)).toEqual(expectedWindows(seen, 7));

    // Listing: key order is numbers by value, then strings.
    expect(await totals.keys()).toEqual([7, 114, 'airport']);
    expect(await totals.entries({ limit: 2 })).toEqual([
      { key: 7, value: expectedWindows(seen, 7) },
      { key: 114, value: expectedWindows(seen, 114) },
    ]);
    expect(await totals.keys({ from: 8, to: 'b' })).toEqual([114, 'airport']);
    expect(await totals.keys({ from: 'b' })).toEqual([]);
    await job.stop();
  });

  it('drops windows from the view once they fired and expired, and shows fired early panes', async () => {
    const source = new PausedSource<Ride>();
    const job = from(source)
      .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
      .keyBy((r) => r.zone)
      .window(session('1s'))
      .aggregate(count())
      .to(toArray())
      .run();
    const sessions = job.query('window#0');
    await feed(source, [ride('a', 1, 0), ride('b', 1, 500), ride('c', 2, 400)]);
    expect(await sessions.get(1)).toEqual([{ window: { start: T0, end: T0 + 1500 }, value: 2, fired: false }]);
    expect(await sessions.get(2)).toEqual([{ window: { start: T0 + 400, end: T0 + 1400 }, value: 1, fired: false }]);
    // The watermark passes both sessions: they fire and leave the state; a new one opens for key 1.
    await feed(source, [ride('d', 1, 10_000)]);
    expect(await sessions.get(2)).toBeUndefined();
    expect(await sessions.get(1)).toEqual([{ window: { start: T0 + 10_000, end: T0 + 11_000 }, value: 1, fired: false }]);
    expect(await sessions.keys()).toEqual([1]);
    await job.stop();
  });

  it('reads a dedup: whether an id is remembered, and until which watermark', async () => {
    const source = new PausedSource<Ride>();
    const job = from(source)
      .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
      .dedup((r) => (r.id.startsWith('n') ? Number(r.id.slice(1)) : r.id), { within: '10s' })
      .to(toArray())
      .run();
    const ids = job.query('dedup#0');
    await feed(source, [ride('x', 1, 0), ride('n42', 1, 1000), ride('x', 1, 2000)]);
    expect(await ids.get('x')).toEqual({ seenAt: T0, until: T0 + 10_000 });
    // Ids compare by their string form: 42 and '42' are one id.
    expect(await ids.get(42)).toEqual({ seenAt: T0 + 1000, until: T0 + 11_000 });
    expect(await ids.get('42')).toEqual({ seenAt: T0 + 1000, until: T0 + 11_000 });
    expect(await ids.get('y')).toBeUndefined();
    expect(await ids.entries()).toEqual([
      { key: '42', value: { seenAt: T0 + 1000, until: T0 + 11_000 } },
      { key: 'x', value: { seenAt: T0, until: T0 + 10_000 } },
    ]);
    // The watermark passes x's horizon but not 42's.
    await feed(source, [ride('z', 1, 10_500)]);
    expect(await ids.get('x')).toBeUndefined();
    expect(await ids.get(42)).toEqual({ seenAt: T0 + 1000, until: T0 + 11_000 });
    expect(await ids.keys()).toEqual(['42', 'z']);
    await job.stop();
  });

  it('reads a keyed process function: the key typed state by name', async () => {
    const source = new PausedSource<Ride>();
    const job = from(source)
      .withTimestamps((r) => r.at, boundedOutOfOrderness('1h'))
      .keyBy((r) => ({ zone: r.zone }))
      .process({
        state: { total: valueState<number>(), ids: listState<string>(), byFare: mapState<number, string>() },
        onRecord(r, ctx) {
          ctx.state.total.set((ctx.state.total.get() ?? 0) + r.fare);
          ctx.state.ids.add(r.id);
          if (r.fare > 2) ctx.state.byFare.set(r.fare, r.id);
        },
      })
      .uid('zone-state')
      .to(toArray())
      .run();
    const state = job.query('zone-state');
    await feed(source, [ride('a', 1, 0, 5), ride('b', 1, 10, 1), ride('c', 2, 20, 2)]);
    expect(await state.get({ zone: 1 })).toEqual({ total: 6, ids: ['a', 'b'], byFare: [[5, 'a']] });
    expect(await state.get({ zone: 2 })).toEqual({ total: 2, ids: ['c'] });
    await feed(source, [ride('d', 1, 30, 3)]);
    expect(await state.get({ zone: 1 })).toEqual({
      total: 9,
      ids: ['a', 'b', 'd'],
      byFare: [
        [3, 'd'],
        [5, 'a'],
      ],
    });
    expect(await state.get({ zone: 3 })).toBeUndefined();
    expect(await state.keys()).toEqual([{ zone: 1 }, { zone: 2 }]);
    await job.stop();
  });

  it('reads an interval join: the key buffered records per side', async () => {
    const trips = new PausedSource<{ id: string; at: number }>();
    const tips = new PausedSource<{ trip: string; at: number; amount: number }>();
    const job = from(trips)
      .withTimestamps((t) => t.at, boundedOutOfOrderness('1h'))
      .keyBy((t) => t.id)
      .join(
        from(tips)
          .withTimestamps((p) => p.at, boundedOutOfOrderness('1h'))
          .keyBy((p) => p.trip),
        { within: { before: 0, after: '2h' }, kind: 'left' },
        (trip, tip) => ({ id: trip!.id, tip: tip ? tip.amount : 0 }),
      )
      .uid('trip-tips')
      .to(toArray())
      .run();
    const buffers = job.query('trip-tips');
    trips.push([
      { id: 't1', at: T0 },
      { id: 't2', at: T0 + 5 },
    ]);
    await trips.drained();
    expect(await buffers.get('t1')).toEqual({
      left: { count: 1, records: [{ time: T0, value: { id: 't1', at: T0 }, matched: false }] },
      right: { count: 0, records: [] },
    });
    tips.push([{ trip: 't1', at: T0 + 60_000, amount: 3 }]);
    await tips.drained();
    expect(await buffers.get('t1')).toEqual({
      left: { count: 1, records: [{ time: T0, value: { id: 't1', at: T0 }, matched: true }] },
      right: { count: 1, records: [{ time: T0 + 60_000, value: { trip: 't1', at: T0 + 60_000, amount: 3 }, matched: true }] },
    });
    expect(await buffers.keys()).toEqual(['t1', 't2']);
    expect(await buffers.get('t3')).toBeUndefined();
    await job.stop();
  });

  it('reads a lookup join: the table key row versions in time order, deletes included', async () => {
    const trips = new PausedSource<{ id: string; zone: number; at: number }>();
    const fares = new PausedSource<{ zone: number; perMile: number | null; at: number }>();
    const job = from(trips)
      .withTimestamps((t) => t.at, boundedOutOfOrderness('1h'))
      .lookup(
        table(
          from(fares).withTimestamps((f) => f.at, boundedOutOfOrderness('1h')),
          (f) => f.zone,
          { isDelete: (f) => f.perMile === null },
        ),
        (t) => t.zone,
        (t, fare) => ({ id: t.id, perMile: fare ? fare.perMile : null }),
        { kind: 'left' },
      )
      .uid('trip-fares')
      .to(toArray())
      .run();
    const versions = job.query('trip-fares');
    fares.push([
      { zone: 1, perMile: 2.5, at: T0 },
      { zone: 2, perMile: 4, at: T0 },
      { zone: 1, perMile: 3, at: T0 + 1_000 },
    ]);
    await fares.drained();
    expect(await versions.get(1)).toEqual([
      { from: T0, row: { zone: 1, perMile: 2.5, at: T0 } },
      { from: T0 + 1_000, row: { zone: 1, perMile: 3, at: T0 + 1_000 } },
    ]);
    fares.push([{ zone: 2, perMile: null, at: T0 + 2_000 }]);
    await fares.drained();
    expect(await versions.get(2)).toEqual([
      { from: T0, row: { zone: 2, perMile: 4, at: T0 } },
      { from: T0 + 2_000, deleted: true },
    ]);
    expect(await versions.keys()).toEqual([1, 2]);
    expect(await versions.get(3)).toBeUndefined();
    await job.stop();
  });

  it('an unknown uid rejects with an error that lists the stateful operators', async () => {
    const source = new PausedSource<Ride>();
    const job = zoneTotals(source);
    await expect(job.query('zone-total').get(1)).rejects.toMatchObject({
      code: 'PIPELINE_INVALID',
      message: expect.stringContaining('"ride-dedup", "zone-totals"'),
    });
    await expect(job.query('zone-total').entries()).rejects.toThrow(/no stateful operator has this id/);
    // A key that cannot be a key is refused, as keyBy refuses it.
    await expect(job.query('zone-totals').get(new Map())).rejects.toThrow(TypeError);
    await expect(job.query('zone-totals').entries({ limit: -1 })).rejects.toThrow(RangeError);
    await job.stop();
  });

  it('an operator that keeps state without a query hook is refused by name', async () => {
    const source = new PausedSource<number>();
    const job = from(source)
      .process(() => new Counter())
      .to(toArray())
      .run();
    await expect(job.query('counter#0').get(1)).rejects.toThrow(/"counter#0".*offers no view of it/);
    await job.stop();
  });

  it('after a restore from levelState, reads the state the stopped job had, before any new input', async () => {
    const dir = join(root, 'state');
    const rides = [ride('a', 114, 10, 5), ride('b', 114, 900, 2), ride('c', 7, 1500, 4), ride('d', 'airport', 20, 9)];
    const source = new PausedSource<Ride>();
    const first = zoneTotals(source, { state: levelState(dir) });
    await feed(source, rides);
    const totals = first.query('zone-totals');
    const atStop = await totals.entries();
    const idsAtStop = await first.query('ride-dedup').entries();
    expect(atStop.map((e) => e.key)).toEqual([7, 114, 'airport']);
    await first.stop();
    // The stopped job still answers with its last state.
    expect(await totals.entries()).toEqual(atStop);

    const again = new PausedSource<Ride>();
    const second = zoneTotals(again, { state: levelState(dir) });
    expect(await second.query('zone-totals').entries()).toEqual(atStop);
    expect(await second.query('ride-dedup').entries()).toEqual(idsAtStop);
    expect(await second.query('zone-totals').get(114)).toEqual(expectedWindows(rides, 114));
    await feed(again, [ride('e', 114, 950, 1)]);
    expect(await second.query('zone-totals').get(114)).toEqual(expectedWindows([...rides, ride('e', 114, 950, 1)], 114));
    await second.stop();
  });
});
