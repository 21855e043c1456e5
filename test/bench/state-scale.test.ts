import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutputDigest } from '../../bench/state-scale/digest.js';
import { expectedSessions, idEvents, idOf, keyEvents, START_MS, stateIdsSpec } from '../../bench/state-scale/inputs.js';
import { DEFAULT_SIZES, parseCount, parseSizes } from '../../bench/state-scale/options.js';

const HOUR_MS = 3_600_000;

describe('idOf', () => {
  it('gives 16 hex digits, a different id for every index', () => {
    const ids = new Set<string>();
    for (let k = 0; k < 200_000; k++) ids.add(idOf(k));
    expect(ids.size).toBe(200_000);
    for (const id of [idOf(0), idOf(4_000_000_000)]) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('idEvents (the dedup input)', () => {
  const spec = { distinct: 20_000, duplicateShare: 0.05, spanMs: 24 * HOUR_MS, jitterMs: 20_000 };
  const lines = [...idEvents(spec)];

  it('has exactly the distinct ids asked for, and duplicates as the given share of the lines', () => {
    expect(new Set(lines.map((l) => l.id)).size).toBe(20_000);
    const duplicates = lines.length - 20_000;
    expect(lines.length).toBe(Math.round(20_000 / 0.95));
    expect(duplicates / lines.length).toBeCloseTo(0.05, 3);
  });

  it('repeats only ids first seen within the last hour of event time', () => {
    const firstSeen = new Map<string, number>();
    let repeats = 0;
    for (const l of lines) {
      const first = firstSeen.get(l.id);
      if (first === undefined) {
        firstSeen.set(l.id, l.t);
      } else {
        repeats++;
        // An hour of lines, give or take the jitter of either line.
        expect(l.t - first).toBeLessThanOrEqual(HOUR_MS + 2 * spec.jitterMs);
      }
    }
    expect(repeats).toBe(lines.length - 20_000);
  });

  it('keeps every line within the 1-minute watermark delay of the latest time before it, over the span', () => {
    let max = -Infinity;
    for (const l of lines) {
      expect(l.t).toBeGreaterThan(max - 60_000);
      max = Math.max(max, l.t);
    }
    expect(lines[0].t).toBeGreaterThanOrEqual(START_MS - spec.jitterMs);
    expect(max).toBeLessThanOrEqual(START_MS + spec.spanMs + spec.jitterMs);
  });

  it('is the same every time', () => {
    expect([...idEvents(spec)].slice(0, 50)).toEqual(lines.slice(0, 50));
  });

  it('gives the restart input 2 % more ids than the keys it fills, none repeated, in time order', () => {
    const state = [...idEvents(stateIdsSpec(10_000))];
    expect(state.length).toBe(10_200);
    expect(new Set(state.map((l) => l.id)).size).toBe(10_200);
    for (let i = 1; i < state.length; i++) expect(state[i].t).toBeGreaterThanOrEqual(state[i - 1].t);
    // The first 10,000 ids span 12 hours: none expires from a 24-hour dedup while the rest is read.
    expect(state[state.length - 1].t - state[0].t).toBeLessThan(13 * HOUR_MS);
  });
});

/** Session windows by hand: per key, events closer than the gap share a session. */
function sessionsOf(events: Array<{ k: string; t: number }>, gapMs: number): number {
  const byKey = new Map<string, number[]>();
  for (const e of events) byKey.set(e.k, [...(byKey.get(e.k) ?? []), e.t]);
  let n = 0;
  for (const times of byKey.values()) {
    times.sort((a, b) => a - b);
    n++;
    for (let i = 1; i < times.length; i++) if (times[i] - times[i - 1] >= gapMs) n++;
  }
  return n;
}

describe('keyEvents (the sessions input)', () => {
  it('gives two events per key, in time order, on whole seconds', () => {
    const events = [...keyEvents(5_000)];
    expect(events.length).toBe(10_000);
    const perKey = new Map<string, number>();
    for (const e of events) perKey.set(e.k, (perKey.get(e.k) ?? 0) + 1);
    expect(perKey.size).toBe(5_000);
    expect([...perKey.values()].every((n) => n === 2)).toBe(true);
    for (let i = 1; i < events.length; i++) expect(events[i].t).toBeGreaterThanOrEqual(events[i - 1].t);
    expect(events.every((e) => e.t % 1000 === 0)).toBe(true);
  });

  it('makes as many 30-minute sessions as expectedSessions says, about one and a half per key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_000 }), (keys) => {
        expect(sessionsOf([...keyEvents(keys)], 30 * 60_000)).toBe(expectedSessions(keys));
      }),
      { numRuns: 20 },
    );
    expect(expectedSessions(10_000) / 10_000).toBeCloseTo(1.5, 1);
  });
});

describe('OutputDigest', () => {
  it('is the same for the same rows in any order, and differs when a row differs', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.string(), { minLength: 1, maxLength: 50 })
          .chain((rows) => fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }))),
        ([rows, shuffled]) => {
          const a = new OutputDigest();
          const b = new OutputDigest();
          for (const r of rows) a.add(r);
          for (const r of shuffled) b.add(r);
          expect(b.toString()).toBe(a.toString());
        },
      ),
    );
    const a = new OutputDigest();
    const b = new OutputDigest();
    a.add('k1|0|1800000|2');
    b.add('k1|0|1800000|1');
    expect(b.toString()).not.toBe(a.toString());
  });
});

describe('--sizes', () => {
  it('reads counts with k and M suffixes and underscores', () => {
    expect(parseCount('200k')).toBe(200_000);
    expect(parseCount('2M')).toBe(2_000_000);
    expect(parseCount('1_500_000')).toBe(1_500_000);
    expect(() => parseCount('0')).toThrow(RangeError);
    expect(() => parseCount('2G')).toThrow(RangeError);
  });

  it('sets every job with a bare size, one job with job=size, several sizes with +', () => {
    expect(parseSizes(undefined)).toEqual(DEFAULT_SIZES);
    const sizes = parseSizes('200k,dedup-ids=200k+2M');
    expect(sizes).toEqual({ 'dedup-ids': [200_000, 2_000_000], 'sessions-keys': [200_000], restart: [200_000], checkpoint: [200_000] });
    expect(parseSizes('restart=1M')['sessions-keys']).toEqual(DEFAULT_SIZES['sessions-keys']);
    expect(() => parseSizes('dedup=1M')).toThrow(/unknown job 'dedup'/);
  });
});
