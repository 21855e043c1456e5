import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBronze } from '../../examples/taxi/bronze.js';
import {
  generateTripEvents,
  generateTrips,
  JANUARY_2024_TRIPS,
  TRIP_DISORDER_BOUND_MS,
  type TripEvent,
} from '../../examples/taxi/generator.js';
import { isPossibleTrip, tripMetrics } from '../../examples/taxi/metrics.js';
import { RAW_TRIP_COLUMNS, type RawTrip } from '../../examples/taxi/raw-trip.js';
import { toSilver, type SilverTrip } from '../../examples/taxi/silver.js';

function digest(lines: Iterable<string>): string {
  const h = createHash('sha256');
  for (const l of lines) h.update(l).update('\n');
  return h.digest('hex');
}

describe('generator determinism and options', () => {
  it('the same seed gives the same bytes; another seed does not', () => {
    const a = digest(generateTrips({ events: 5000, seed: 42, duplicates: 0.01, bad: 0.01 }));
    expect(digest(generateTrips({ events: 5000, seed: 42, duplicates: 0.01, bad: 0.01 }))).toBe(a);
    expect(digest(generateTrips({ events: 5000, seed: 43, duplicates: 0.01, bad: 0.01 }))).not.toBe(a);
  });

  it('emits exactly `events` lines without options, in the TLC column order', () => {
    const lines = [...generateTrips({ events: 1234, seed: 3 })];
    expect(lines).toHaveLength(1234);
    for (const l of lines.slice(0, 50)) expect(Object.keys(JSON.parse(l))).toEqual([...RAW_TRIP_COLUMNS]);
    expect(lines.every((l) => parseBronze(l).ok)).toBe(true);
  });

  it('duplicates are exact copies of an earlier line, and turning options on keeps the trips', () => {
    const plain = [...generateTrips({ events: 20_000, seed: 5 })];
    const events = [...generateTripEvents({ events: 20_000, seed: 5, duplicates: 0.05, bad: 0.02 })];
    const dups = events.filter((e) => e.kind === 'duplicate');
    const bad = events.filter((e) => e.kind === 'bad');
    expect(dups.length / 20_000).toBeGreaterThan(0.04);
    expect(dups.length / 20_000).toBeLessThan(0.06);
    expect(bad.length / 20_000).toBeGreaterThan(0.015);
    expect(bad.length / 20_000).toBeLessThan(0.025);
    const seen = new Set<string>();
    for (const e of events) {
      if (e.kind === 'duplicate') expect(seen.has(e.line)).toBe(true);
      seen.add(e.line);
    }
    const good = new Set(events.filter((e) => e.kind === 'trip').map((e) => e.line));
    expect(plain.filter((l) => good.has(l)).length).toBe(20_000 - bad.length);
  });

  it('every bad record is a Bronze dead letter, of all three kinds', () => {
    const reasons = new Set<string>();
    for (const e of generateTripEvents({ events: 3000, seed: 9, bad: 0.1 })) {
      const r = parseBronze(e.line);
      expect(r.ok).toBe(e.kind !== 'bad');
      if (!r.ok) reasons.add(r.deadLetter.reason.split(':')[0]);
    }
    expect([...reasons].sort()).toEqual(['broken JSON', 'missing timestamp', 'wrong type']);
  });

  it('property: for any seed and size, every line is a well-formed trip, in arrival order, money adding up', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 400 }), (seed, n) => {
        const events = [...generateTripEvents({ events: n, seed })];
        expect(events).toHaveLength(n);
        for (let i = 0; i < events.length; i++) {
          if (i > 0) expect(events[i].arrivalTs).toBeGreaterThanOrEqual(events[i - 1].arrivalTs);
          const r = parseBronze(events[i].line);
          if (!r.ok) throw new Error(r.deadLetter.reason);
          const t = r.trip;
          const parts = [
            t.fare_amount,
            t.extra,
            t.mta_tax,
            t.tip_amount,
            t.tolls_amount,
            t.improvement_surcharge,
            t.congestion_surcharge,
            t.Airport_fee,
          ];
          expect(Math.round((t.total_amount as number) * 100)).toBe(parts.reduce<number>((a, x) => a + Math.round((x ?? 0) * 100), 0));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('validates its options', () => {
    expect(() => generateTrips({ events: 0 }).next()).toThrow(RangeError);
    expect(() => generateTrips({ events: 1.5 }).next()).toThrow(RangeError);
    expect(() => generateTrips({ events: 10, duplicates: 2 }).next()).toThrow(/duplicates must be a probability/);
    expect(() => generateTrips({ events: 10, bad: -0.1 }).next()).toThrow(/bad must be a probability/);
    expect(() => generateTrips({ events: 10, seed: 0.5 }).next()).toThrow(TypeError);
  });
});

describe('generator calibration on 100k trips (seed 1)', () => {
  const N = 100_000;
  const scale = JANUARY_2024_TRIPS / N;
  const events: TripEvent[] = [];
  const raws: RawTrip[] = [];
  const silvers: (SilverTrip | null)[] = [];
  beforeAll(() => {
    for (const e of generateTripEvents({ events: N, seed: 1 })) {
      events.push(e);
      const r = parseBronze(e.line);
      if (!r.ok) throw new Error(r.deadLetter.reason);
      raws.push(r.trip);
      silvers.push(toSilver(r.trip));
    }
  });
  const share = (pred: (t: RawTrip) => boolean) => raws.filter(pred).length / N;

  it('dirty-row rates', () => {
    expect(share((t) => (t.fare_amount as number) < 0)).toBeCloseTo(0.0126, 3);
    expect(share((t) => t.passenger_count === null)).toBeCloseTo(0.047, 2);
    const nullPax = raws.filter((t) => t.passenger_count === null);
    const correlated = nullPax.filter(
      (t) => t.RatecodeID === null && t.store_and_fwd_flag === null && t.congestion_surcharge === null && t.Airport_fee === null,
    );
    expect(correlated.length / nullPax.length).toBeGreaterThan(0.9);
    // Refund adjustments re-type the payment as a dispute or no-charge; the rest are payment type 0.
    expect(nullPax.filter((t) => (t.fare_amount as number) >= 0).every((t) => t.payment_type === 0)).toBe(true);
    expect(share((t) => t.VendorID === 6)).toBeLessThan(0.0003);
    expect(share((t) => !(t.tpep_pickup_datetime as string).startsWith('2024-01-'))).toBeLessThan(0.0001);
    const silver = silvers.filter((s) => s !== null);
    const impossible = silver.filter((s) => !isPossibleTrip(tripMetrics(s))).length / silver.length;
    expect(impossible).toBeGreaterThan(0.0065);
    expect(impossible).toBeLessThan(0.009);
  });

  it('money adds up: total = fare + extra + mta + tip + tolls + improvement + congestion + airport fee', () => {
    const wrong = raws.filter((t) => {
      const parts = [
        t.fare_amount,
        t.extra,
        t.mta_tax,
        t.tip_amount,
        t.tolls_amount,
        t.improvement_surcharge,
        t.congestion_surcharge,
        t.Airport_fee,
      ];
      const cents = parts.reduce<number>((a, x) => a + Math.round((x ?? 0) * 100), 0);
      return Math.round((t.total_amount as number) * 100) !== cents || !Number.isInteger(Math.round((t.total_amount as number) * 100));
    });
    expect(wrong).toEqual([]);
    // Money is whole cents: no float noise such as 22.700000000000003 on the wire.
    expect(raws.every((t) => Math.round((t.total_amount as number) * 100) / 100 === t.total_amount)).toBe(true);
  });

  it('valid-trip shape: duration, speed, tips, zones, JFK fares', () => {
    const valid = silvers
      .filter((s) => s !== null)
      .map((s) => ({ s, m: tripMetrics(s) }))
      .filter(({ m }) => isPossibleTrip(m));
    const durations = valid.map(({ m }) => m.trip_duration_minutes).sort((a, b) => a - b);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(durations)).toBeGreaterThan(14);
    expect(mean(durations)).toBeLessThan(16);
    expect(durations[durations.length >> 1]).toBe(12);
    expect(mean(valid.map(({ m }) => m.avg_speed_mph as number))).toBeCloseTo(11.4, 0);
    const tips = valid.map(({ m }) => m.tip_percentage).filter((x): x is number => x !== null);
    expect(Math.abs(mean(tips) - 23.1)).toBeLessThan(1);
    const cardTips = valid.filter(({ s }) => (s.tip_amount as number) > 0);
    expect(cardTips.filter(({ s }) => s.payment_type_id === 1).length / cardTips.length).toBeGreaterThan(0.8);
    const zones = new Map<number, number>();
    for (const { s } of valid) zones.set(s.pickup_location_id as number, (zones.get(s.pickup_location_id as number) ?? 0) + 1);
    expect(zones.size).toBeGreaterThan(250);
    expect(zones.size).toBeLessThanOrEqual(260);
    const top = [...zones]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([z]) => z);
    expect(top).toEqual([161, 237, 132]);
    const jfk = valid.filter(({ s }) => s.pickup_location_id === 132).map(({ s }) => s.total_amount as number);
    expect(Math.abs(mean(jfk) - 80.86)).toBeLessThan(3);
  });

  it('daily volumes and hourly profiles, scaled to the full month', () => {
    const days = new Map<string, number>();
    const weekday = new Array<number>(24).fill(0);
    const weekend = new Array<number>(24).fill(0);
    for (const s of silvers) {
      if (s === null) continue;
      days.set(s.pickup_date, (days.get(s.pickup_date) ?? 0) + 1);
      const m = tripMetrics(s);
      (m.is_weekend ? weekend : weekday)[m.pickup_hour]++;
    }
    expect(days.size).toBe(31);
    const daily = [...days.values()].map((n) => n * scale);
    expect(Math.min(...daily)).toBeGreaterThan(60_000);
    expect(Math.min(...daily)).toBeLessThan(72_000);
    expect(Math.max(...daily)).toBeGreaterThan(102_000);
    expect(Math.max(...daily)).toBeLessThan(115_000);
    const wk = weekday.map((n) => (n * scale) / 23);
    const we = weekend.map((n) => (n * scale) / 8);
    expect(wk.indexOf(Math.max(...wk))).toBe(18);
    expect(wk.indexOf(Math.min(...wk))).toBe(4);
    expect(wk[18]).toBeGreaterThan(6300);
    expect(wk[18]).toBeLessThan(7700);
    expect(wk[4]).toBeGreaterThan(300);
    expect(wk[4]).toBeLessThan(550);
    expect(we.indexOf(Math.max(...we))).toBe(16);
    expect(we[16]).toBeGreaterThan(5400);
    expect(we[16]).toBeLessThan(6600);
  });

  it('arrives in arrival order, out of event order, within the stated disorder bound except store-and-forward', () => {
    let unordered = 0;
    for (let i = 1; i < events.length; i++) if (events[i].arrivalTs < events[i - 1].arrivalTs) unordered++;
    expect(unordered).toBe(0);
    let beyondBound = 0;
    let maxPickup = Number.NEGATIVE_INFINITY;
    let outOfOrder = 0;
    let lateStoreAndForward = 0;
    for (const s of silvers) {
      if (s === null) continue;
      if (s.pickup_ts < maxPickup) outOfOrder++;
      const lag = maxPickup - s.pickup_ts;
      if (s.store_and_fwd_flag === 'Y') {
        if (lag > TRIP_DISORDER_BOUND_MS) lateStoreAndForward++;
      } else if (lag > TRIP_DISORDER_BOUND_MS) {
        beyondBound++;
      }
      maxPickup = Math.max(maxPickup, s.pickup_ts);
    }
    expect(beyondBound).toBe(0);
    expect(outOfOrder / N).toBeGreaterThan(0.3);
    expect(lateStoreAndForward).toBeGreaterThan(50);
  });
});
