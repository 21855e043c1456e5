import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchSizes,
  batchWindows,
  batchWindowsWithLateness,
  keyedEvents,
  type KeyedEvent,
  type KeyedEventsSample,
} from '../../src/testing/index.js';
import { global } from '../../src/windowing/global.js';
import { hopping } from '../../src/windowing/hopping.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { afterCount, onWatermark } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { WindowAssigner, WindowOptions } from '../../src/windowing/types.js';
import { drive, lastPanes, retractedWindows, seqs, valueSum, windowId } from './window-driver.js';

interface Kind {
  name: string;
  assigner: () => WindowAssigner;
  /** Options every run of this kind needs (global() needs a count trigger). */
  base: WindowOptions;
}

const KINDS: Kind[] = [
  { name: 'tumbling', assigner: () => tumbling(100), base: {} },
  { name: 'hopping', assigner: () => hopping(100, 40), base: {} },
  { name: 'sliding', assigner: () => sliding(60), base: {} },
  { name: 'session', assigner: () => session(12), base: {} },
  { name: 'global', assigner: () => global(), base: { trigger: afterCount(7) } },
];

/**
 * Generated inputs whose every record arrives before the watermark passes it. Sparse inputs spread
 * windows out; dense ones (small times, small delays) pile records on window and session bounds.
 */
const onTimeInput = fc.oneof(
  inputs(60, 1500, 60, 3),
  inputs(20, 200, 40, 3),
  inputs(4, 60, 30, 2),
  // Times on a 6 ms grid: with sessions of gap 12, hopping of 100/40 and sliding of 60, records
  // land exactly on window ends and session ends while the watermark sits just before them.
  inputs(2, 20, 30, 3, undefined, 6),
);

/** Inputs where some records arrive after the watermark passed them. */
const lateInput = fc.oneof(
  inputs(60, 1500, 60, 2, { fraction: 0.3, maxExtraDelay: 300 }),
  inputs(10, 150, 40, 2, { fraction: 0.3, maxExtraDelay: 60 }),
  inputs(2, 25, 30, 2, { fraction: 0.3, maxExtraDelay: 10 }, 6),
);

function inputs(
  maxDelay: number,
  maxTime: number,
  maxLength: number,
  keys: number,
  late?: { fraction: number; maxExtraDelay: number },
  scale = 1,
) {
  return fc.integer({ min: 0, max: maxDelay }).chain((delay) =>
    fc.record({
      delay: fc.constant(delay * scale),
      lateness: fc.integer({ min: 0, max: late ? 2 * maxDelay * scale : 0 }),
      sample: keyedEvents({ keys, timeRange: [0, maxTime], maxDisorder: delay, maxLength, late }).map((sample) => scaled(sample, scale)),
      sizes: batchSizes({ max: 12 }),
    }),
  );
}

/** Multiplies every time by `scale`: records then share few distinct times, often on window bounds. */
function scaled(sample: KeyedEventsSample, scale: number): KeyedEventsSample {
  if (scale === 1) return sample;
  const bySeq = new Map(sample.events.map((e) => [e.seq, { ...e, time: e.time * scale }]));
  return { events: sample.events.map((e) => bySeq.get(e.seq)!), arrival: sample.arrival.map((e) => bySeq.get(e.seq)!) };
}

const keyOf = (e: KeyedEvent) => e.key;
const timeOf = (e: KeyedEvent) => e.time;

describe('the exactness property: last accumulating pane = batch result', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: any arrival order within the delay, any batch sizes`, () => {
      fc.assert(
        fc.property(onTimeInput, ({ delay, sample, sizes }) => {
          const { results, late } = drive(sample.arrival, {
            assigner: kind.assigner(),
            options: kind.base,
            aggregator: seqs,
            delay,
            sizes,
          });
          expect(late).toEqual([]);
          const expected = batchWindows(sample.events, { assigner: kind.assigner(), aggregator: seqs, keyOf, timeOf });
          const last = lastPanes(results);
          for (const row of expected) {
            expect(last.get(windowId(row))?.value, windowId(row)).toEqual(row.value);
          }
          if (kind.name === 'session') {
            // Sessions that fired before a record at their end merged them stay as smaller results.
            const batchIds = new Set(expected.map(windowId));
            for (const r of last.values()) {
              if (batchIds.has(windowId(r))) continue;
              expect(expected.some((b) => b.key === r.key && b.window.start <= r.window.start && r.window.end <= b.window.end)).toBe(true);
            }
          } else {
            expect(last.size).toBe(expected.length);
          }
        }),
      );
    });
  }

  for (const kind of KINDS.filter((k) => k.name !== 'global')) {
    it(`${kind.name}: with allowedLateness 0 and nothing late, exactly one on-time pane per (key, window)`, () => {
      fc.assert(
        fc.property(onTimeInput, ({ delay, sample, sizes }) => {
          const { results } = drive(sample.arrival, { assigner: kind.assigner(), aggregator: valueSum, delay, sizes });
          const seen = new Set<string>();
          for (const r of results) {
            expect(seen.has(windowId(r)), windowId(r)).toBe(false);
            seen.add(windowId(r));
            expect(r.pane).toEqual({ index: 0, timing: 'on-time' });
          }
        }),
      );
    });
  }

  it('global: panes count 0, 1, 2 … and every pane but the last holds a multiple of n records', () => {
    fc.assert(
      fc.property(onTimeInput, fc.integer({ min: 1, max: 10 }), ({ delay, sample, sizes }, n) => {
        const { results } = drive(sample.arrival, {
          assigner: global(),
          options: { trigger: afterCount(n) },
          aggregator: seqs,
          delay,
          sizes,
        });
        const byKey = new Map<string, number[][]>();
        for (const r of results) {
          const panes = byKey.get(r.key) ?? [];
          expect(r.pane.index).toBe(panes.length);
          panes.push(r.value);
          byKey.set(r.key, panes);
        }
        for (const panes of byKey.values()) {
          panes.slice(0, -1).forEach((p, i) => expect(p.length).toBe((i + 1) * n));
        }
      }),
    );
  });

  it('results do not depend on batch sizes', () => {
    fc.assert(
      fc.property(onTimeInput, batchSizes({ max: 20 }), fc.constantFrom(...KINDS), ({ delay, sample, sizes }, other, kind) => {
        const a = drive(sample.arrival, { assigner: kind.assigner(), options: kind.base, aggregator: seqs, delay, sizes });
        const b = drive(sample.arrival, { assigner: kind.assigner(), options: kind.base, aggregator: seqs, delay: delay, sizes: other });
        const final = (rs: typeof a.results) => [...lastPanes(rs).values()].map((r) => `${r.id} ${r.value.join(',')}`).sort();
        // Session results merged away depend on watermark timing; the final ones do not.
        if (kind.name !== 'session') expect(final(b.results)).toEqual(final(a.results));
        const expected = batchWindows(sample.events, { assigner: kind.assigner(), aggregator: seqs, keyOf, timeOf });
        const lb = lastPanes(b.results);
        for (const row of expected) expect(lb.get(windowId(row))?.value).toEqual(row.value);
      }),
    );
  });
});

describe('calendar windows across a DST change', () => {
  // 2024-03-10 in New York: 02:00 local does not exist; the day is 23 hours long.
  const t0 = Date.UTC(2024, 2, 10, 0, 0, 0);
  const calendarInput = fc.integer({ min: 0, max: 1_800_000 }).chain((delay) =>
    fc.record({
      delay: fc.constant(delay),
      sample: keyedEvents({ keys: 2, timeRange: [t0, t0 + 12 * 3_600_000], maxDisorder: delay, maxLength: 60 }),
      sizes: batchSizes({ max: 12 }),
    }),
  );
  const zoned: Array<[string, () => WindowAssigner]> = [
    ['tumbling 1h', () => tumbling('1h', { timeZone: 'America/New_York' })],
    ['hopping 2h/1h', () => hopping('2h', '1h', { timeZone: 'America/New_York' })],
    ['tumbling 1d', () => tumbling('1d', { timeZone: 'America/New_York' })],
  ];
  for (const [name, assigner] of zoned) {
    it(`${name} in America/New_York: last pane = batch result, one pane per window`, () => {
      fc.assert(
        fc.property(calendarInput, ({ delay, sample, sizes }) => {
          const { results } = drive(sample.arrival, { assigner: assigner(), aggregator: seqs, delay, sizes });
          const expected = batchWindows(sample.events, { assigner: assigner(), aggregator: seqs, keyOf, timeOf });
          const last = lastPanes(results);
          expect(results.length).toBe(expected.length);
          for (const row of expected) expect(last.get(windowId(row))?.value).toEqual(row.value);
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('late accounting: every record is in a final pane or in the late output', () => {
  for (const kind of KINDS.filter((k) => k.name !== 'global')) {
    it(`${kind.name}: final panes plus dropped records cover the input`, () => {
      fc.assert(
        fc.property(lateInput, ({ delay, lateness, sample, sizes }) => {
          const { results, late } = drive(sample.arrival, {
            assigner: kind.assigner(),
            options: { allowedLateness: lateness },
            aggregator: seqs,
            delay,
            sizes,
          });
          const covered = new Set<number>();
          for (const r of lastPanes(results).values()) for (const s of r.value) covered.add(s);
          for (const l of late) covered.add(l.record.seq);
          expect(covered.size).toBe(sample.events.length);
          if (kind.name === 'tumbling' || kind.name === 'hopping') {
            // Per (record, window): in that window's final pane, or late for exactly that window.
            const last = lastPanes(results);
            const lateIds = new Set(late.map((l) => `${l.record.seq}|${l.window.start}`));
            for (const e of sample.events) {
              for (const w of kind.assigner().assignWindows(e.time)) {
                const inPane = last.get(windowId({ key: e.key, window: w }))?.value.includes(e.seq) ?? false;
                expect(inPane !== lateIds.has(`${e.seq}|${w.start}`), `${e.seq} in [${w.start},${w.end})`).toBe(true);
              }
            }
          }
        }),
      );
    });
  }

  for (const name of ['tumbling', 'hopping'] as const) {
    it(`${name}: with one record per batch, results and late output equal the lateness oracle`, () => {
      const kind = KINDS.find((k) => k.name === name)!;
      fc.assert(
        fc.property(lateInput, ({ delay, lateness, sample }) => {
          const { results, late } = drive(sample.arrival, {
            assigner: kind.assigner(),
            options: { allowedLateness: lateness },
            aggregator: seqs,
            delay,
            sizes: [1],
          });
          const expected = batchWindowsWithLateness(sample.arrival, {
            assigner: kind.assigner(),
            aggregator: seqs,
            keyOf,
            timeOf,
            maxDelay: delay,
            allowedLateness: lateness,
          });
          const last = lastPanes(results);
          expect(last.size).toBe(expected.results.length);
          for (const row of expected.results) expect(last.get(windowId(row))?.value).toEqual(row.value);
          expect(late).toEqual(expected.late);
        }),
      );
    });
  }
});

describe('sessions do not depend on arrival order', () => {
  it('the sessions left standing are the batch sessions, whatever the order', () => {
    fc.assert(
      fc.property(onTimeInput, ({ delay, sample, sizes }) => {
        const standing = (arrival: KeyedEvent[], d: number) => {
          const { results } = drive(arrival, { assigner: session(12), options: { mode: 'retracting' }, aggregator: seqs, delay: d, sizes });
          const retracted = retractedWindows(results);
          return [...lastPanes(results).values()]
            .filter((r) => !retracted.has(windowId(r)))
            .map((r) => `${windowId(r)} ${r.value.join(',')}`)
            .sort();
        };
        const inOrder = standing(sample.events, 0);
        expect(standing(sample.arrival, delay)).toEqual(inOrder);
        const expected = batchWindows(sample.events, { assigner: session(12), aggregator: seqs, keyOf, timeOf });
        expect(inOrder).toEqual(expected.map((r) => `${windowId(r)} ${r.value.join(',')}`).sort());
      }),
    );
  });
});

describe('accumulation modes agree', () => {
  const early = onWatermark({ early: afterCount(2), late: afterCount(2) });

  for (const kind of KINDS) {
    const trigger = kind.name === 'global' ? afterCount(3) : early;
    it(`${kind.name}: discarding panes sum to the accumulating result, retractions cancel exactly`, () => {
      fc.assert(
        fc.property(lateInput, ({ delay, lateness, sample, sizes }) => {
          const run = (mode: 'accumulating' | 'discarding' | 'retracting') =>
            drive(sample.arrival, {
              assigner: kind.assigner(),
              options: { trigger, allowedLateness: lateness, mode },
              aggregator: valueSum,
              delay,
              sizes,
            }).results;
          const acc = run('accumulating');
          const disc = run('discarding');
          const retr = run('retracting');
          const finalAcc = lastPanes(acc);
          // Panes fire at the same moments in every mode: same ids, same pane info.
          expect(disc.map((r) => `${r.id} ${r.pane.index} ${r.pane.timing}`)).toEqual(
            acc.map((r) => `${r.id} ${r.pane.index} ${r.pane.timing}`),
          );
          expect(retr.filter((r) => !r.retraction).map((r) => `${r.id} ${r.value}`)).toEqual(acc.map((r) => `${r.id} ${r.value}`));
          const group = (r: { key: string; window: { start: number; end: number } }) => (kind.name === 'session' ? r.key : windowId(r));
          const total = (rs: typeof acc, signed: boolean) => {
            const m = new Map<string, number>();
            for (const r of rs) m.set(group(r), (m.get(group(r)) ?? 0) + (signed && r.retraction ? -r.value : r.value));
            return m;
          };
          // The standing results: for sessions, windows not merged into later ones.
          const retracted = retractedWindows(retr);
          const standing = new Map<string, number>();
          for (const r of finalAcc.values()) {
            if (kind.name === 'session' && retracted.has(windowId(r))) continue;
            standing.set(group(r), (standing.get(group(r)) ?? 0) + r.value);
          }
          expect(total(disc, false)).toEqual(standing);
          expect(total(retr, true)).toEqual(standing);
        }),
      );
    });
  }
});
