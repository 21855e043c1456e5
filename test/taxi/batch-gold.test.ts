import { describe, expect, it } from 'vitest';
import { batchGold } from '../../examples/taxi/batch-gold.js';
import { parseBronze } from '../../examples/taxi/bronze.js';
import { compareGold } from '../../examples/taxi/compare-gold.js';
import { generateTrips } from '../../examples/taxi/generator.js';
import type { GoldRow } from '../../examples/taxi/gold-row.js';
import { withMetrics, type GoldTrip } from '../../examples/taxi/metrics.js';
import { nyDayStart } from '../../examples/taxi/ny-time.js';
import { silverTrips, toSilver } from '../../examples/taxi/silver.js';
import { rawTrip } from './fixtures.js';

function gold(overrides: Parameters<typeof rawTrip>[0]): GoldTrip {
  const s = toSilver(rawTrip(overrides));
  const g = s === null ? null : withMetrics(s);
  if (g === null) throw new Error('fixture rejected');
  return g;
}

const HOUR = 3_600_000;
const trip = (pickup: string, dropoff: string, o: Parameters<typeof rawTrip>[0]) =>
  gold({ tpep_pickup_datetime: pickup, tpep_dropoff_datetime: dropoff, ...o });

/** Four trips over two days and three hours; expected values below are worked out by hand. */
const FIXTURE: GoldTrip[] = [
  trip('2024-01-13T08:00:00', '2024-01-13T08:30:00', {
    trip_distance: 10,
    fare_amount: 25,
    tip_amount: 5,
    total_amount: 35,
    passenger_count: 1,
    payment_type: 1,
  }),
  trip('2024-01-13T08:10:00', '2024-01-13T08:20:00', {
    trip_distance: 2,
    fare_amount: 10,
    tip_amount: 0,
    total_amount: 14.5,
    passenger_count: 2,
    payment_type: 2,
  }),
  trip('2024-01-13T09:05:00', '2024-01-13T09:17:00', {
    trip_distance: 3,
    fare_amount: 0,
    tip_amount: 0,
    total_amount: 4.5,
    passenger_count: null,
    payment_type: 0,
  }),
  trip('2024-01-14T23:50:00', '2024-01-15T00:10:00', {
    trip_distance: 4,
    fare_amount: 20.55,
    tip_amount: 4.11,
    total_amount: 30.16,
    passenger_count: 3,
    payment_type: 1,
  }),
];

describe('batch Gold in DuckDB', () => {
  it('daily summary per New York calendar day, checked by hand', async () => {
    const { daily } = await batchGold(FIXTURE);
    expect(daily).toHaveLength(2);
    expect(daily[0].window).toEqual({ start: Date.UTC(2024, 0, 13, 5), end: Date.UTC(2024, 0, 14, 5) });
    expect(daily[0].value).toEqual({
      total_trips: 3,
      total_passengers: 3,
      total_revenue: 54,
      total_fare: 35,
      total_tips: 5,
      avg_distance_miles: 5,
      avg_duration_minutes: expect.closeTo(52 / 3, 12),
      avg_speed_mph: expect.closeTo(47 / 3, 12),
      avg_tip_percentage: 10,
      card_trips: 1,
      cash_trips: 1,
    });
    expect(daily[1].window).toEqual({ start: Date.UTC(2024, 0, 14, 5), end: Date.UTC(2024, 0, 15, 5) });
    expect(daily[1].value).toEqual({
      total_trips: 1,
      total_passengers: 3,
      total_revenue: 30.16,
      total_fare: 20.55,
      total_tips: 4.11,
      avg_distance_miles: 4,
      avg_duration_minutes: 20,
      avg_speed_mph: 12,
      avg_tip_percentage: 20,
      card_trips: 1,
      cash_trips: 0,
    });
  });

  it('hourly patterns per local hour, checked by hand', async () => {
    const { hourly } = await batchGold(FIXTURE);
    expect(hourly).toEqual([
      {
        window: { start: Date.UTC(2024, 0, 13, 13), end: Date.UTC(2024, 0, 13, 14) },
        value: { total_trips: 2, avg_distance_miles: 6, avg_duration_minutes: 20, total_revenue: 49.5 },
      },
      {
        window: { start: Date.UTC(2024, 0, 13, 14), end: Date.UTC(2024, 0, 13, 15) },
        value: { total_trips: 1, avg_distance_miles: 3, avg_duration_minutes: 12, total_revenue: 4.5 },
      },
      {
        window: { start: Date.UTC(2024, 0, 15, 4), end: Date.UTC(2024, 0, 15, 5) },
        value: { total_trips: 1, avg_distance_miles: 4, avg_duration_minutes: 20, total_revenue: 30.16 },
      },
    ]);
  });

  it('days are 25 hours long when clocks fall back, and the repeated hour stays two windows', async () => {
    const base = FIXTURE[0];
    const firstOneThirty = Date.UTC(2024, 10, 3, 5, 30); // 01:30 EDT
    const secondOneThirty = Date.UTC(2024, 10, 3, 6, 30); // 01:30 EST
    const rows = [firstOneThirty, secondOneThirty].map((ts) => ({ ...base, pickup_date: '2024-11-03', pickup_ts: ts }));
    const { daily, hourly } = await batchGold(rows);
    expect(daily).toHaveLength(1);
    expect(daily[0].window.end - daily[0].window.start).toBe(25 * HOUR);
    expect(daily[0].window.start).toBe(nyDayStart('2024-11-03'));
    expect(hourly.map((h) => h.window.start)).toEqual([Date.UTC(2024, 10, 3, 5), Date.UTC(2024, 10, 3, 6)]);
  });

  it('daily and hourly Gold equal a plain JavaScript computation over 5,000 generated trips', async () => {
    const raws = [];
    for (const line of generateTrips({ events: 5000, seed: 21 })) {
      const r = parseBronze(line);
      if (r.ok) raws.push(r.trip);
    }
    const trips = [...silverTrips(raws)].map((s) => withMetrics(s)).filter((t): t is GoldTrip => t !== null);
    const { daily, hourly } = await batchGold(trips);
    const byDay = new Map<string, GoldTrip[]>();
    for (const t of trips) byDay.set(t.pickup_date, [...(byDay.get(t.pickup_date) ?? []), t]);
    const avg = (xs: (number | null)[]) => {
      const v = xs.filter((x): x is number => x !== null);
      return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
    };
    const expected: GoldRow[] = [...byDay].map(([day, ts]) => ({
      window: { start: nyDayStart(day), end: nyDayStart(new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) },
      value: {
        total_trips: ts.length,
        total_passengers: ts.reduce((a, t) => a + (t.passenger_count ?? 0), 0),
        total_revenue: ts.reduce((a, t) => a + (t.total_amount ?? 0), 0),
        total_fare: ts.reduce((a, t) => a + t.fare_amount, 0),
        total_tips: ts.reduce((a, t) => a + (t.tip_amount ?? 0), 0),
        avg_distance_miles: avg(ts.map((t) => t.trip_distance_miles)),
        avg_duration_minutes: avg(ts.map((t) => t.trip_duration_minutes)),
        avg_speed_mph: avg(ts.map((t) => t.avg_speed_mph)),
        avg_tip_percentage: avg(ts.map((t) => t.tip_percentage)),
        card_trips: ts.filter((t) => t.payment_type_id === 1).length,
        cash_trips: ts.filter((t) => t.payment_type_id === 2).length,
      },
    }));
    const report = compareGold(expected, daily);
    expect(report.differences).toEqual([]);
    expect(report).toMatchObject({ equal: true, matched: 31, onlyInStream: [], onlyInBatch: [] });

    const byHour = new Map<number, GoldTrip[]>();
    for (const t of trips) {
      const h = Math.floor(t.pickup_ts / HOUR);
      byHour.set(h, [...(byHour.get(h) ?? []), t]);
    }
    const expectedHourly: GoldRow[] = [...byHour].map(([h, ts]) => ({
      window: { start: h * HOUR, end: (h + 1) * HOUR },
      value: {
        total_trips: ts.length,
        avg_distance_miles: avg(ts.map((t) => t.trip_distance_miles)),
        avg_duration_minutes: avg(ts.map((t) => t.trip_duration_minutes)),
        total_revenue: ts.reduce((a, t) => a + (t.total_amount ?? 0), 0),
      },
    }));
    const hourlyReport = compareGold(expectedHourly, hourly);
    expect(hourlyReport.differences).toEqual([]);
    expect(hourlyReport).toMatchObject({ equal: true, matched: byHour.size, onlyInStream: [], onlyInBatch: [] });
    expect(byHour.size).toBeGreaterThan(700);
  });
});

describe('compareGold', () => {
  const w = { start: 0, end: HOUR };
  const row = (value: GoldRow['value'], extra: Partial<GoldRow> = {}): GoldRow => ({ window: w, value, ...extra });

  it('counts exactly, money to the cent, averages within the tolerance', () => {
    const batch = [row({ total_trips: 3, total_revenue: 54, avg_speed_mph: 15.666666666666666 })];
    expect(compareGold([row({ total_trips: 3, total_revenue: 54.000000000001, avg_speed_mph: 15.666666666666668 })], batch).equal).toBe(
      true,
    );
    const off = compareGold([row({ total_trips: 4, total_revenue: 54.01, avg_speed_mph: 15.67 })], batch);
    expect(off.equal).toBe(false);
    expect(off.differences.map((d) => d.field).sort()).toEqual(['avg_speed_mph', 'total_revenue', 'total_trips']);
    expect(compareGold([row({ total_trips: 3, total_revenue: 54, avg_speed_mph: 15.67 })], batch, { tolerance: 1e-3 }).equal).toBe(true);
  });

  it('uses the last pane of a window that fired more than once', () => {
    const batch = [row({ total_trips: 3 })];
    const stream = [row({ total_trips: 3 }, { pane: { index: 1 } }), row({ total_trips: 2 }, { pane: { index: 0 } })];
    expect(compareGold(stream, batch).equal).toBe(true);
    expect(compareGold([row({ total_trips: 2 }, { pane: { index: 1 } })], batch).equal).toBe(false);
  });

  it('reports windows and keys missing on either side, and null against a value', () => {
    const report = compareGold(
      [row({ total_trips: 1 }, { key: 161 }), row({ total_trips: 1 }, { key: 237 })],
      [row({ total_trips: 1 }, { key: 161 }), row({ total_trips: 1 }, { key: 132 })],
    );
    expect(report.matched).toBe(1);
    expect(report.onlyInStream.map((r) => r.key)).toEqual([237]);
    expect(report.onlyInBatch.map((r) => r.key)).toEqual([132]);
    expect(compareGold([row({ avg_speed_mph: null })], [row({ avg_speed_mph: 0 })]).equal).toBe(false);
    expect(() => compareGold([], [], { tolerance: -1 })).toThrow(RangeError);
  });
});
