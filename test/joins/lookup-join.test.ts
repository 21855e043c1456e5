import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  boundedOutOfOrderness,
  count,
  from,
  fromArray,
  fromJsonl,
  levelState,
  PipelineError,
  StateError,
  Stream,
  table,
  toArray,
  tumbling,
  type DeadLetter,
  type LateRecord,
  type LookupOptions,
  type Operator,
  type Source,
  type SourcePoll,
  type WatermarkStrategy,
  type WindowResult,
} from '../../src/index.js';
import { batchOf } from '../../src/core/batch.js';
import { stopAndResume, stoppingAfter } from '../pipeline/stopping-after.js';

interface Trip {
  id: string;
  zone: number;
  vendor: string;
  at: number;
}
interface Zone {
  id: number;
  name: string;
  at?: number;
  deleted?: boolean;
}

const trips = (list: Trip[], batchSize = 1, delay = 0) =>
  from(fromArray(list, { batchSize })).withTimestamps((t) => t.at, boundedOutOfOrderness(delay));
const zonesOverTime = (list: Zone[], batchSize = 1, delay = 0) =>
  table(
    from(fromArray(list, { batchSize })).withTimestamps((z) => z.at!, boundedOutOfOrderness(delay)),
    (z) => z.id,
    { isDelete: (z) => z.deleted === true },
  );
const describeTrip = (t: Trip, z: Zone | null) => `${t.id}:${z ? z.name : 'null'}`;

describe('table and lookup arguments', () => {
  const zones = table(from(fromArray<Zone>([])), (z) => z.id);

  it('names the bad argument or option', () => {
    expect(() => table([] as never, (z: Zone) => z.id)).toThrow(/table\(stream, keyOf\): stream must be a stream/);
    expect(() => table(from(fromArray<Zone>([])), 'id' as never)).toThrow(/table\(stream, keyOf\): expected a function/);
    expect(() => table(from(fromArray<Zone>([])), (z) => z.id, { isDelete: true } as never)).toThrow(/isDelete must be a function/);
    expect(() => table(from(fromArray<Zone>([])), (z) => z.id, { deletes: () => true } as never)).toThrow(/unknown option "deletes"/);
    const t = trips([]);
    expect(() => t.lookup({} as never, (x) => x.zone, describeTrip)).toThrow(/table must be made by table\(stream, keyOf\)/);
    expect(() => t.lookup(zones, 'zone' as never, describeTrip)).toThrow(TypeError);
    expect(() => t.lookup(zones, (x) => x.zone, describeTrip, { kind: 'outer' } as never)).toThrow(
      /lookup kind must be one of inner, left/,
    );
    expect(() => t.lookup(zones, (x) => x.zone, describeTrip, { allowedLateness: '5 minutes' })).toThrow(/lookup allowedLateness/);
    expect(() => t.lookup(zones, (x) => x.zone, describeTrip, { within: '1m' } as never)).toThrow(/unknown option "within"/);
  });

  it('types the row by kind: never null for inner, nullable for left; the lookup key must be the table key type', () => {
    const t = trips([]);
    t.lookup(
      zones,
      (x) => x.zone,
      (trip, zone) => {
        expectTypeOf(zone).toEqualTypeOf<Zone>();
        return trip.id;
      },
    );
    t.lookup(
      zones,
      (x) => x.zone,
      (trip, zone) => {
        expectTypeOf(zone).toEqualTypeOf<Zone | null>();
        return trip.id;
      },
      { kind: 'left' },
    );
    expectTypeOf(
      t
        .keyBy((x) => x.vendor)
        .lookup(
          zones,
          (x) => x.zone,
          (trip) => trip.at,
        ),
    ).toEqualTypeOf<Stream<number, string>>();
    const byId = (x: Trip) => x.id;
    // @ts-expect-error zones are keyed by number, not by the trip's string id
    t.lookup(zones, byId, (trip) => trip);
  });

  it('needs event time on the stream', () => {
    expect(() => from(fromArray<Trip>([])).lookup(zones, (x) => x.zone, describeTrip)).toThrow(PipelineError);
    expect(() => from(fromArray<Trip>([])).lookup(zones, (x) => x.zone, describeTrip)).toThrow(/stream needs event time/);
  });
});

describe('lookup join over a versioned table', () => {
  const versions: Zone[] = [
    { id: 1, name: 'A', at: 100 },
    { id: 1, name: 'B', at: 200 },
    { id: 2, name: 'X', at: 250 },
    { id: 1, name: 'gone', at: 300, deleted: true },
    { id: 1, name: 'C', at: 400 },
  ];
  const probes: Trip[] = [50, 100, 150, 199, 200, 250, 299, 300, 350, 400, 450].map((at) => ({ id: `t${at}`, zone: 1, vendor: 'v', at }));

  it('joins each record with the version valid at its time, not the one that arrived last', async () => {
    // The whole table arrives before any trip: a join with "the latest row" would say C everywhere.
    const out = await trips(probes)
      .lookup(zonesOverTime(versions), (t) => t.zone, describeTrip, { kind: 'left' })
      .collect();
    expect(out.items).toEqual([
      't50:null',
      't100:A',
      't150:A',
      't199:A',
      't200:B',
      't250:B',
      't299:B',
      't300:null',
      't350:null',
      't400:C',
      't450:C',
    ]);
    // Inner: records without a row (before the first version, after a delete) are dropped and counted.
    const job = trips(probes)
      .lookup(zonesOverTime(versions), (t) => t.zone, describeTrip)
      .to(toArray())
      .run();
    await job;
    expect(job.metrics.get('lookup_matched', { operator: 'lookup#0' })).toBe(8);
    expect(job.metrics.get('lookup_unmatched', { operator: 'lookup#0' })).toBe(3);
  });

  it('holds a record until the table has caught up with its time, whatever the arrival order', async () => {
    // Trips run far ahead of the table: each waits for the table's watermark to pass it.
    const early = trips(probes.slice().reverse(), 3, 1000);
    const out = await early.lookup(zonesOverTime(versions, 2, 0), (t) => t.zone, describeTrip, { kind: 'left' }).collect({ batchSize: 2 });
    expect(out.items.sort()).toEqual(
      ['t50:null', 't100:A', 't150:A', 't199:A', 't200:B', 't250:B', 't299:B', 't300:null', 't350:null', 't400:C', 't450:C'].sort(),
    );
  });

  it('keeps the stream’s own key and the record’s time, so a window after it groups by that key', async () => {
    const out = toArray<WindowResult>();
    const list: Trip[] = [
      { id: 'a', zone: 2, vendor: 'v1', at: 260 },
      { id: 'b', zone: 2, vendor: 'v2', at: 270 },
      { id: 'c', zone: 2, vendor: 'v1', at: 900 },
    ];
    await trips(list)
      .keyBy((t) => t.vendor)
      .lookup(zonesOverTime(versions), (t) => t.zone, describeTrip)
      .window(tumbling(500))
      .aggregate(count())
      .to(out)
      .run();
    expect(out.items.map((r) => [r.key, r.window.start, r.value])).toEqual([
      ['v1', 0, 1],
      ['v2', 0, 1],
      ['v1', 500, 1],
    ]);
  });

  it('sends records behind the watermark by more than allowedLateness to .late(), answers the others exactly', async () => {
    const list: Trip[] = [
      { id: 'on-time', zone: 1, vendor: 'v', at: 500 },
      { id: 'late-ok', zone: 1, vendor: 'v', at: 395 }, // W = 499 when it arrives: 499 - 395 < 110
      { id: 'too-late', zone: 1, vendor: 'v', at: 150 }, // 499 - 150 >= 110: version A may be gone
    ];
    const late = toArray<LateRecord<Trip>>();
    const run = (options: LookupOptions) =>
      trips(list)
        .lookup(zonesOverTime(versions, 10), (t) => t.zone, describeTrip, options)
        .late(late)
        .collect();
    const out = await run({ kind: 'left', allowedLateness: 110 });
    // 'late-ok' is answered on arrival; 'on-time' waits for the watermark to reach 500.
    expect(out.items).toEqual(['late-ok:null', 'on-time:C']);
    expect(late.items).toEqual([{ record: list[2], window: { start: 150, end: 151 }, watermark: 499 }]);
    // Without lateness, a record at or behind the watermark is late.
    late.items.length = 0;
    expect((await run({ kind: 'left' })).items).toEqual(['on-time:C']);
    expect(late.items.map((l) => l.record.id)).toEqual(['late-ok', 'too-late']);
  });

  it('holds the watermark back by allowedLateness, so no result is late after it', async () => {
    const list: Trip[] = Array.from({ length: 40 }, (_, i) => ({ id: `t${i}`, zone: 1, vendor: 'v', at: 1000 + i * 10 - (i % 3) * 25 }));
    const late = toArray();
    const out = toArray<WindowResult>();
    // Up to 30 ms behind the watermark: answered at once with their own, older, time.
    await trips(list, 2, 0)
      .lookup(zonesOverTime(versions), (t) => t.zone, describeTrip, { kind: 'left', allowedLateness: 50 })
      .window(tumbling(100))
      .aggregate(count())
      .late(late)
      .to(out)
      .run();
    expect(late.items).toEqual([]);
    expect(out.items.reduce((n, r) => n + (r.value as number), 0)).toBe(40);
  });

  it('drops versions no record can still ask for as the watermark passes', async () => {
    const updates: Zone[] = Array.from({ length: 100 }, (_, i) => ({ id: i % 4, name: `v${i}`, at: i * 10 }));
    updates.push({ id: 0, name: 'gone', at: 1000, deleted: true });
    const job = trips([{ id: 'x', zone: 3, vendor: 'v', at: 995 }])
      .lookup(zonesOverTime(updates, 5), (t) => t.zone, describeTrip)
      .to(toArray())
      .run({ batchSize: 5 });
    await job;
    // At the end only the newest version of each key is left, and the deleted key is forgotten.
    expect(job.metrics.get('lookup_table_keys', { operator: 'lookup#0' })).toBe(3);
    expect(job.metrics.get('lookup_table_versions', { operator: 'lookup#0' })).toBe(3);
    expect(job.metrics.get('lookup_held', { operator: 'lookup#0' })).toBe(0);
  });

  it('leaves an idle table out of the watermark: records are answered with the table as it stands', async () => {
    let now = 0;
    let polls = 0;
    // One row, then nothing for a long while (processing time advances 100 ms per poll of it).
    const quiet: Source<Zone> = {
      name: 'quiet-zones',
      partitions: () => [0],
      open: () => undefined,
      poll(): SourcePoll<Zone> {
        polls++;
        now += 100;
        if (polls === 1) return { kind: 'batch', batch: batchOf([{ id: 1, name: 'A', at: 0 }]) };
        return polls > 105 ? { kind: 'end' } : { kind: 'idle' };
      },
      position: () => polls,
    };
    const list: Trip[] = Array.from({ length: 50 }, (_, i) => ({ id: `t${i}`, zone: 1, vendor: 'v', at: 100 * (i + 1) }));
    const answeredAt: number[] = [];
    const run = async (strategy: WatermarkStrategy) => {
      now = 0;
      polls = 0;
      answeredAt.length = 0;
      const zones = table(
        from(quiet).withTimestamps((z) => z.at!, strategy),
        (z) => z.id,
      );
      return trips(list)
        .lookup(zones, (t) => t.zone, describeTrip)
        .process((): Operator<string, string> => ({
          name: 'answered-at',
          processBatch(batch, out) {
            for (let i = 0; i < batch.values.length; i++) answeredAt.push(polls);
            out.emit(batch);
          },
        }))
        .collect({ clock: () => now, tickInterval: 100 });
    };
    const idle = await run(boundedOutOfOrderness(0, { idleTimeout: '1s' }));
    expect(idle.items).toHaveLength(50);
    expect(new Set(idle.items)).toEqual(new Set(list.map((t) => `${t.id}:A`)));
    // Answered while the table was still open, once it had been idle for a second.
    expect(Math.min(...answeredAt)).toBeLessThan(100);
    // Without idleTimeout the quiet table holds every record until it ends: exact, but late.
    const held = await run(boundedOutOfOrderness(0));
    expect(held.items).toHaveLength(50);
    expect(Math.min(...answeredAt)).toBeGreaterThan(105);
  });

  it('applies a table row that arrives behind the watermark to the records still to come, and counts it', async () => {
    const rows = table(
      from(
        fromArray<Zone>(
          [
            { id: 1, name: 'A', at: 100 },
            { id: 1, name: 'B', at: 1000 },
            { id: 1, name: 'late', at: 500 }, // behind the table's own watermark (999)
          ],
          { batchSize: 1 },
        ),
      ).withTimestamps((z) => z.at!),
      (z) => z.id,
    );
    const job = trips([{ id: 't', zone: 1, vendor: 'v', at: 2000 }])
      .lookup(rows, (t) => t.zone, describeTrip)
      .to(toArray())
      .run();
    await job;
    expect(job.metrics.get('lookup_table_late_updates', { operator: 'lookup#0' })).toBe(1);
  });
});

describe('lookup join over a static table', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-lookup-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const zoneRows: Zone[] = [
    { id: 1, name: 'Newark' },
    { id: 2, name: 'Jamaica Bay' },
    { id: 1, name: 'Newark Airport' }, // the last row of a key wins
    { id: 3, name: 'Allerton' },
    { id: 3, name: 'Allerton', deleted: true },
  ];
  const list: Trip[] = [
    { id: 'a', zone: 1, vendor: 'v', at: -5_000 }, // before 1970: a static row is valid from the beginning of time
    { id: 'b', zone: 2, vendor: 'v', at: 10 },
    { id: 'c', zone: 3, vendor: 'v', at: 20 },
    { id: 'd', zone: 9, vendor: 'v', at: 30 },
  ];
  const expected = ['a:Newark Airport', 'b:Jamaica Bay', 'c:null', 'd:null'];

  it('from an array: read completely before any record joins, the last row of a key wins, deletes remove it', async () => {
    const zones = table(from(fromArray(zoneRows, { batchSize: 1 })), (z) => z.id, { isDelete: (z) => z.deleted === true });
    // Trips come first in every poll of the union: they are held until the table has ended.
    const out = await trips(list, 4)
      .lookup(zones, (t) => t.zone, describeTrip, { kind: 'left' })
      .collect({ batchSize: 1 });
    expect(out.items).toEqual(expected);
  });

  it('from a JSONL file', async () => {
    const path = join(dir, 'zones.jsonl');
    await writeFile(path, zoneRows.map((z) => JSON.stringify(z)).join('\n') + '\n');
    const zones = table(from(fromJsonl<Zone>(path)), (z) => z.id, { isDelete: (z) => z.deleted === true });
    const out = await trips(list)
      .lookup(zones, (t) => t.zone, describeTrip, { kind: 'left' })
      .collect();
    expect(out.items).toEqual(expected);
  });

  it('once read, answers every record as it comes, however far behind the watermark: none is late', async () => {
    const zones = table(from(fromArray(zoneRows)), (z) => z.id, { isDelete: (z) => z.deleted === true });
    const late = toArray();
    // Twenty records in time order, then one 9 s behind the watermark, with no lateness allowed.
    const onTime: Trip[] = Array.from({ length: 20 }, (_, i) => ({ id: `t${i}`, zone: 1, vendor: 'v', at: 5_000 + i * 200 }));
    const behind: Trip[] = [...onTime, { id: 'c', zone: 2, vendor: 'v', at: 10 }];
    const out = toArray<string>();
    const job = trips(behind)
      .lookup(zones, (t) => t.zone, describeTrip, { kind: 'left' })
      .late(late)
      .to(out)
      .run({ batchSize: 1 });
    await job;
    expect(out.items).toHaveLength(21);
    expect(out.items).toContain('c:Jamaica Bay');
    expect(late.items).toEqual([]);
    // Nothing waits once the table is read: the only records held were those before it.
    expect(job.metrics.get('lookup_held', { operator: 'lookup#0' })).toBe(0);
  });

  it('dead-letters records and rows whose functions throw; they change nothing else', async () => {
    const dead = toArray<DeadLetter>();
    const zones = table(
      from(fromArray<Zone>([...zoneRows, { id: -1, name: 'bad' }])),
      (z) => {
        if (z.id < 0) throw new Error('negative id');
        return z.id;
      },
      { isDelete: (z) => z.deleted === true },
    );
    const job = trips([...list, { id: 'boom', zone: 2, vendor: 'v', at: 40 }, { id: 'nokey', zone: NaN, vendor: 'v', at: 50 }])
      .lookup(
        zones,
        (t) => {
          if (t.id === 'nokey') throw new Error('no zone');
          return t.zone;
        },
        (t, z) => {
          if (t.id === 'boom') throw new Error('refused');
          return describeTrip(t, z);
        },
        { kind: 'left' },
      )
      .deadLetters(dead)
      .collect();
    const { items } = await job;
    // Records that came before the table ended wait for it; the rest are answered as they come.
    expect([...items].sort()).toEqual(expected);
    expect(dead.items.map((d) => `${(d.raw as { id: unknown }).id} ${d.reason}`).sort()).toEqual([
      '-1 lookup#0 table key threw Error: negative id',
      'boom lookup#0 lookup function threw Error: refused',
      'nokey lookup#0 key threw Error: no zone',
    ]);
  });
});

describe('lookup join state', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-lookup-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const probes: Trip[] = Array.from({ length: 240 }, (_, i) => ({
    id: `t${i}`,
    zone: i % 7,
    vendor: `v${i % 3}`,
    at: i * 10 - ((i * 31) % 50),
  }));
  const rows: Zone[] = Array.from({ length: 120 }, (_, i) => ({
    id: i % 7,
    name: `z${i}`,
    at: i * 20 - ((i * 17) % 50),
    deleted: i % 11 === 0,
  }));

  const pipeline = (
    options: LookupOptions,
    stopAt: number | undefined,
    stop: AbortController,
    batches: [number, number],
    versioned = true,
  ) => {
    const rowStream = from(fromArray(rows, { batchSize: batches[1] }));
    return from(stoppingAfter(fromArray(probes, { batchSize: batches[0] }), stopAt, stop))
      .withTimestamps((t) => t.at, boundedOutOfOrderness(60))
      .keyBy((t) => t.vendor)
      .lookup(
        table(versioned ? rowStream.withTimestamps((z) => z.at!, boundedOutOfOrderness(60)) : rowStream, (z) => z.id, {
          isDelete: (z) => z.deleted === true,
        }),
        (t) => t.zone,
        (t: Trip, z: Zone | null) => `${t.id}:${z ? z.name : '-'}`,
        options,
      );
  };

  it('a restore from a stop at any point gives the output of a run never stopped (levelState)', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 2, max: 25 }),
        fc.integer({ min: 2, max: 25 }),
        fc.constantFrom<LookupOptions['kind']>('inner', 'left'),
        fc.boolean(),
        async (stopAt, ba, bb, kind, versioned) => {
          const options: LookupOptions = { kind, allowedLateness: 10 };
          const { whole, resumed } = await stopAndResume(
            (at, stop) => pipeline(options, at, stop, [ba, bb], versioned),
            stopAt,
            join(dir, `run-${++runs}`),
            { records: 40 },
          );
          expect([...resumed].sort()).toEqual([...whole].sort());
          // The table does change the answers: not every record sees the same row.
          expect(new Set(whole.map((s) => s.split(':')[1])).size).toBeGreaterThan(2);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('refuses to restore state taken with another kind, lateness or kind of table', async () => {
    const state = join(dir, 'options');
    const stop = new AbortController();
    await pipeline({ kind: 'inner' }, 10, stop, [5, 5])
      .uid('zones')
      .to(toArray())
      .run({ state: levelState(state), checkpointEvery: { records: 40 }, signal: stop.signal });
    const restore = (options: LookupOptions, versioned = true) =>
      pipeline(options, undefined, new AbortController(), [5, 5], versioned)
        .uid('zones')
        .to(toArray())
        .run({ state: levelState(state) });
    const left = restore({ kind: 'left' });
    await expect(left).rejects.toThrow(StateError);
    await expect(left).rejects.toThrow(/operator zones: kind was "inner", now "left"/);
    await expect(restore({ kind: 'inner', allowedLateness: 5 })).rejects.toThrow(/allowedLateness was "0ms", now "5ms"/);
    await expect(restore({ kind: 'inner' }, false)).rejects.toThrow(/table was "versioned", now "static"/);
    // The same lookup restores.
    await expect(restore({ kind: 'inner' })).resolves.toBeDefined();
  });
});
