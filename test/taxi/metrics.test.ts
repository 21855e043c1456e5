import { describe, expect, it } from 'vitest';
import { isPossibleTrip, tripMetrics, tripMinutes, tripVerdicts, withMetrics } from '../../examples/taxi/metrics.js';
import { toSilver, type SilverTrip } from '../../examples/taxi/silver.js';
import { rawTrip } from './fixtures.js';

function silver(overrides: Parameters<typeof rawTrip>[0]): SilverTrip {
  const s = toSilver(rawTrip(overrides));
  if (s === null) throw new Error('fixture rejected by Silver');
  return s;
}

describe('trip metrics (dbt int_trip_metrics)', () => {
  it('10 miles in 30 minutes, $25 fare, $5 tip: 20 mph, $2.50 a mile, 20 % tip', () => {
    const m = tripMetrics(
      silver({
        tpep_pickup_datetime: '2024-01-10T08:00:00',
        tpep_dropoff_datetime: '2024-01-10T08:30:00',
        trip_distance: 10,
        fare_amount: 25,
        tip_amount: 5,
        total_amount: 35,
      }),
    );
    expect(m.trip_duration_minutes).toBe(30);
    expect(m.avg_speed_mph).toBe(20);
    expect(m.cost_per_mile).toBe(2.5);
    expect(m.tip_percentage).toBe(20);
    expect(m.pickup_hour).toBe(8);
    expect(m.pickup_day_of_week).toBe(3);
    expect(m.is_weekend).toBe(false);
    expect(isPossibleTrip(m)).toBe(true);
  });

  it('drops a 0-minute trip, whose speed is null', () => {
    const s = silver({ tpep_dropoff_datetime: '2024-01-01T00:57:55' });
    const m = tripMetrics(s);
    expect(m.trip_duration_minutes).toBe(0);
    expect(m.avg_speed_mph).toBeNull();
    expect(withMetrics(s)).toBeNull();
  });

  it('drops a 780-minute trip and keeps a 720-minute one', () => {
    expect(withMetrics(silver({ tpep_pickup_datetime: '2024-01-05T06:00:00', tpep_dropoff_datetime: '2024-01-05T19:00:00' }))).toBeNull();
    const kept = withMetrics(silver({ tpep_pickup_datetime: '2024-01-05T06:00:00', tpep_dropoff_datetime: '2024-01-05T18:00:00' }));
    expect(kept?.trip_duration_minutes).toBe(720);
  });

  it('drops a 200 mph trip and keeps one just under 100 mph', () => {
    const fast = silver({ tpep_pickup_datetime: '2024-01-05T06:00:00', tpep_dropoff_datetime: '2024-01-05T06:30:00', trip_distance: 100 });
    expect(tripMetrics(fast).avg_speed_mph).toBe(200);
    expect(withMetrics(fast)).toBeNull();
    const under = silver({
      tpep_pickup_datetime: '2024-01-05T06:00:00',
      tpep_dropoff_datetime: '2024-01-05T06:30:00',
      trip_distance: 49.99,
    });
    expect(tripMetrics(under).avg_speed_mph).toBe(99.98);
    expect(withMetrics(under)).not.toBeNull();
  });

  it('keeps a trip with a null passenger_count', () => {
    const s = silver({ passenger_count: null, RatecodeID: null, store_and_fwd_flag: null, congestion_surcharge: null, Airport_fee: null });
    expect(s.passenger_count).toBeNull();
    expect(withMetrics(s)).not.toBeNull();
  });

  it('null cost per mile at zero distance and null tip % at zero fare', () => {
    const m = tripMetrics(silver({ trip_distance: 0, fare_amount: 0, tip_amount: 0, total_amount: 5 }));
    expect(m.cost_per_mile).toBeNull();
    expect(m.tip_percentage).toBeNull();
    expect(m.avg_speed_mph).toBe(0);
  });

  it('2024-01-13 and 2024-01-14 are the weekend, 2024-01-15 is not', () => {
    const day = (d: string) => tripMetrics(silver({ tpep_pickup_datetime: `${d}T12:00:00`, tpep_dropoff_datetime: `${d}T12:10:00` }));
    expect(day('2024-01-13')).toMatchObject({ pickup_day_of_week: 6, is_weekend: true });
    expect(day('2024-01-14')).toMatchObject({ pickup_day_of_week: 0, is_weekend: true });
    expect(day('2024-01-15')).toMatchObject({ pickup_day_of_week: 1, is_weekend: false });
  });

  it('counts minutes under the three rules', () => {
    expect(tripMinutes(0, 29_999, 'rounded')).toBe(0);
    expect(tripMinutes(0, 30_000, 'rounded')).toBe(1);
    expect(tripMinutes(0, 59_999, 'truncated')).toBe(0);
    expect(tripMinutes(0, 60_000, 'truncated')).toBe(1);
    expect(tripMinutes(50_000, 70_000, 'boundary')).toBe(1);
    expect(tripMinutes(0, 119_000, 'boundary')).toBe(1);
    expect(tripMinutes(90_000, 30_000, 'rounded')).toBe(-1);
    expect(tripMinutes(90_000, 30_000, 'truncated')).toBe(-1);
    expect(() => tripMinutes(0, 1, 'floor' as never)).toThrow(RangeError);
  });

  it('a 45-second trip crossing a minute boundary: kept by rounded and boundary, dropped by truncated', () => {
    const s = silver({ tpep_pickup_datetime: '2024-01-05T06:00:30', tpep_dropoff_datetime: '2024-01-05T06:01:15', trip_distance: 0.1 });
    expect(tripVerdicts(s)).toEqual({ rounded: true, truncated: false, boundary: true });
  });

  it('a 40-second trip inside one minute: kept only by rounded', () => {
    const s = silver({ tpep_pickup_datetime: '2024-01-05T06:00:10', tpep_dropoff_datetime: '2024-01-05T06:00:50', trip_distance: 0.1 });
    expect(tripVerdicts(s)).toEqual({ rounded: true, truncated: false, boundary: false });
  });
});
