import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateTrips } from '../../examples/taxi/generator.js';
import { parseBronze } from '../../examples/taxi/bronze.js';
import { passesSilver, silverTrips, toSilver, tripId } from '../../examples/taxi/silver.js';
import { roundHalfAway } from '../../examples/taxi/round-half-away.js';
import { silverTripLineTuned } from '../../bench/taxi/trip-lines-tuned.js';
import { rawTrip, SAMPLE_TRIP } from './fixtures.js';
import { hostileRecord, validTrip } from './hostile-trips.js';

describe('Silver predicates (the published Flink SQL)', () => {
  it('keeps the sample trip', () => {
    expect(passesSilver(SAMPLE_TRIP)).toBe(true);
  });

  it('drops pickups on 2023-12-31 23:50 and 2024-02-01 00:05, keeps the month edges', () => {
    expect(passesSilver(rawTrip({ tpep_pickup_datetime: '2023-12-31T23:50:00', tpep_dropoff_datetime: '2024-01-01T00:10:00' }))).toBe(
      false,
    );
    expect(passesSilver(rawTrip({ tpep_pickup_datetime: '2024-02-01T00:05:00', tpep_dropoff_datetime: '2024-02-01T00:15:00' }))).toBe(
      false,
    );
    expect(passesSilver(rawTrip({ tpep_pickup_datetime: '2024-01-01T00:00:00', tpep_dropoff_datetime: '2024-01-01T00:10:00' }))).toBe(true);
    expect(passesSilver(rawTrip({ tpep_pickup_datetime: '2024-01-31T23:59:59', tpep_dropoff_datetime: '2024-02-01T00:20:00' }))).toBe(true);
    expect(passesSilver(rawTrip({ tpep_pickup_datetime: '2002-12-31T10:00:00', tpep_dropoff_datetime: '2002-12-31T10:20:00' }))).toBe(
      false,
    );
  });

  it('a null fails (three-valued logic); zero fare and zero distance pass; negatives fail', () => {
    expect(passesSilver(rawTrip({ tpep_pickup_datetime: null }))).toBe(false);
    expect(passesSilver(rawTrip({ tpep_dropoff_datetime: null }))).toBe(false);
    expect(passesSilver(rawTrip({ trip_distance: null }))).toBe(false);
    expect(passesSilver(rawTrip({ fare_amount: null }))).toBe(false);
    expect(passesSilver(rawTrip({ fare_amount: -17.7, total_amount: -22.7 }))).toBe(false);
    expect(passesSilver(rawTrip({ trip_distance: -0.01 }))).toBe(false);
    expect(passesSilver(rawTrip({ fare_amount: 0, trip_distance: 0 }))).toBe(true);
    expect(passesSilver(rawTrip({ passenger_count: null }))).toBe(true);
  });
});

describe('Silver rows', () => {
  it('renames to snake_case, adds the date and New York event times', () => {
    const s = toSilver(SAMPLE_TRIP);
    expect(s).toMatchObject({
      vendor_id: 2,
      pickup_datetime: '2024-01-01T00:57:55',
      dropoff_datetime: '2024-01-01T01:17:43',
      pickup_date: '2024-01-01',
      passenger_count: 1,
      trip_distance_miles: 1.72,
      rate_code_id: 1,
      store_and_fwd_flag: 'N',
      pickup_location_id: 186,
      dropoff_location_id: 79,
      payment_type_id: 2,
      fare_amount: 17.7,
      extra_amount: 1,
      mta_tax: 0.5,
      tip_amount: 0,
      tolls_amount: 0,
      improvement_surcharge: 1,
      total_amount: 22.7,
      congestion_surcharge: 2.5,
      airport_fee: 0,
    });
    // 00:57:55 EST is 05:57:55 UTC.
    expect(s?.pickup_ts).toBe(Date.UTC(2024, 0, 1, 5, 57, 55));
    expect(s?.dropoff_ts).toBe(Date.UTC(2024, 0, 1, 6, 17, 43));
  });

  it('rounds money to the cent, half away from zero', () => {
    const s = toSilver(rawTrip({ tpep_pickup_datetime: '2024-01-31T12:00:00', fare_amount: 10.005, tip_amount: 1.0049 }));
    expect(s?.fare_amount).toBe(10.01);
    expect(s?.tip_amount).toBe(1);
    expect(roundHalfAway(-2.675, 2)).toBe(-2.68);
    expect(roundHalfAway(1.005, 2)).toBe(1.01);
    expect(Object.is(roundHalfAway(-0.001, 2), 0)).toBe(true);
  });

  it('trip_id: sha256 hex of the canonical natural key, pinned', () => {
    const canonical = '2|2024-01-01T00:57:55|2024-01-01T01:17:43|186|79|17.70|22.70';
    expect(createHash('sha256').update(canonical).digest('hex')).toBe(tripId(SAMPLE_TRIP));
    expect(tripId(SAMPLE_TRIP)).toBe('ed7e4e10ff61ea217ac1587db67481ff4d35a46f190b392f09f80c64edc225b6');
    expect(tripId(rawTrip({ VendorID: null }))).toBe(
      createHash('sha256').update('|2024-01-01T00:57:55|2024-01-01T01:17:43|186|79|17.70|22.70').digest('hex'),
    );
  });

  it('trip_id depends on exactly the seven key fields', () => {
    const base = tripId(SAMPLE_TRIP);
    expect(tripId(rawTrip({ tip_amount: 3, passenger_count: 4, RatecodeID: 5 }))).toBe(base);
    expect(tripId(rawTrip({ fare_amount: 17.700000001 }))).toBe(base);
    for (const change of [
      { VendorID: 1 },
      { PULocationID: 187 },
      { DOLocationID: 80 },
      { fare_amount: 17.71 },
      { total_amount: 22.71 },
      { tpep_dropoff_datetime: '2024-01-01T01:17:44' },
    ]) {
      expect(tripId(rawTrip(change))).not.toBe(base);
    }
  });

  it('batch Silver keeps the first copy of each trip and counts every input once', () => {
    const counts = { kept: 0, rejected: 0, duplicates: 0 };
    const rows = [
      ...silverTrips([SAMPLE_TRIP, rawTrip({ tip_amount: 9 }), rawTrip({ fare_amount: -1 }), rawTrip({ PULocationID: 1 })], counts),
    ];
    expect(rows.map((r) => r.tip_amount)).toEqual([0, 0]);
    expect(counts).toEqual({ kept: 2, rejected: 1, duplicates: 1 });
  });

  it('property: a trip passes iff each predicate holds', () => {
    const ts = fc.constantFrom(
      '2023-12-31T23:59:59',
      '2024-01-01T00:00:00',
      '2024-01-15T08:00:00',
      '2024-01-31T23:59:59',
      '2024-02-01T00:00:00',
      null,
    );
    const num = fc.option(fc.double({ min: -100, max: 100, noNaN: true }), { nil: null });
    fc.assert(
      fc.property(ts, ts, num, num, (pickup, dropoff, distance, fare) => {
        const t = rawTrip({ tpep_pickup_datetime: pickup, tpep_dropoff_datetime: dropoff, trip_distance: distance, fare_amount: fare });
        const expected =
          pickup !== null &&
          dropoff !== null &&
          distance !== null &&
          distance >= 0 &&
          fare !== null &&
          fare >= 0 &&
          pickup.startsWith('2024-01-');
        expect(passesSilver(t)).toBe(expected);
        expect(toSilver(t) !== null).toBe(expected);
      }),
    );
  });
});

describe('Silver lines', () => {
  it('the tuned Silver line writer of bench/taxi writes what JSON.stringify writes, on generated trips and on any money values', () => {
    let n = 0;
    for (const line of generateTrips({ events: 3000, seed: 5, duplicates: 0.01, bad: 0.01 })) {
      const b = parseBronze(line);
      const row = b.ok ? toSilver(b.trip) : null;
      if (row === null) continue;
      expect(silverTripLineTuned(row)).toBe(JSON.stringify(row));
      n++;
    }
    expect(n).toBeGreaterThan(2900);
    const money = fc.option(fc.double({ min: -1e7, max: 1e7 }), { nil: null });
    fc.assert(
      fc.property(money, money, money, fc.option(fc.integer(), { nil: null }), (fare, tip, total, vendor) => {
        const row = { ...toSilver(SAMPLE_TRIP)!, fare_amount: fare ?? 0, tip_amount: tip, total_amount: total, vendor_id: vendor };
        expect(silverTripLineTuned(row)).toBe(JSON.stringify(row));
      }),
      { numRuns: 300 },
    );
  });

  it('property: the tuned writer equals JSON.stringify on every Silver row of hostile and of well-typed records', () => {
    fc.assert(
      fc.property(fc.oneof(hostileRecord, validTrip), (record) => {
        const b = parseBronze(record);
        const row = b.ok ? toSilver(b.trip) : null;
        if (row !== null) expect(silverTripLineTuned(row)).toBe(JSON.stringify(row));
      }),
      { numRuns: 1000 },
    );
  });
});
