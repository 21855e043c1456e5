import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBronze } from '../../examples/taxi/bronze.js';
import { RAW_DECIMAL_COLUMNS, RAW_INTEGER_COLUMNS, RAW_TRIP_COLUMNS, rawTripLine, type RawTrip } from '../../examples/taxi/raw-trip.js';
import { generateTrips } from '../../examples/taxi/generator.js';
import { rawTripLineTuned } from '../../bench/taxi/trip-lines-tuned.js';
import { SAMPLE_TRIP } from './fixtures.js';
import { hostileRecord, validTrip } from './hostile-trips.js';

const timestamp = fc
  .integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2030, 0, 1) / 1000 })
  .map((s) => new Date(s * 1000).toISOString().slice(0, 19));
const integer = fc.option(fc.integer({ min: -1000, max: 100_000 }), { nil: null });
const decimal = fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null });

const inColumnOrder = (t: RawTrip) => Object.fromEntries(RAW_TRIP_COLUMNS.map((c) => [c, t[c]])) as unknown as RawTrip;

const rawTripArb: fc.Arbitrary<RawTrip> = fc
  .record({
    ...Object.fromEntries(RAW_INTEGER_COLUMNS.map((c) => [c, integer])),
    ...Object.fromEntries(RAW_DECIMAL_COLUMNS.map((c) => [c, decimal])),
    tpep_pickup_datetime: timestamp,
    tpep_dropoff_datetime: timestamp,
    store_and_fwd_flag: fc.constantFrom('Y' as const, 'N' as const, null),
  })
  .map((t) => inColumnOrder(t as RawTrip));

describe('raw trip lines', () => {
  it('the sample line matches TAXI.md up to JSON number formatting', () => {
    expect(JSON.parse(rawTripLine(SAMPLE_TRIP))).toEqual(
      JSON.parse(
        '{"VendorID":2,"tpep_pickup_datetime":"2024-01-01T00:57:55","tpep_dropoff_datetime":"2024-01-01T01:17:43","passenger_count":1,"trip_distance":1.72,"RatecodeID":1,"store_and_fwd_flag":"N","PULocationID":186,"DOLocationID":79,"payment_type":2,"fare_amount":17.7,"extra":1.0,"mta_tax":0.5,"tip_amount":0.0,"tolls_amount":0.0,"improvement_surcharge":1.0,"total_amount":22.7,"congestion_surcharge":2.5,"Airport_fee":0.0}',
      ),
    );
  });

  it('property: rawTripLine is JSON.stringify in column order, and Bronze reads it back', () => {
    fc.assert(
      fc.property(rawTripArb, (t) => {
        const line = rawTripLine(t);
        expect(line).toBe(JSON.stringify(inColumnOrder(t)));
        const back = parseBronze(line);
        expect(back.ok).toBe(true);
        if (back.ok) expect(inColumnOrder(back.trip)).toEqual(inColumnOrder(JSON.parse(JSON.stringify(t)) as RawTrip));
      }),
      { numRuns: 300 },
    );
  });

  it('Bronze and the generator list the fields of a trip in column order, the order rawTripLine writes them in', () => {
    for (const line of generateTrips({ events: 500, seed: 2 })) {
      expect(Object.keys(JSON.parse(line))).toEqual(RAW_TRIP_COLUMNS);
      const b = parseBronze(line);
      expect(b.ok && Object.keys(b.trip)).toEqual(RAW_TRIP_COLUMNS);
    }
    const shuffled = Object.fromEntries(Object.entries(SAMPLE_TRIP).reverse());
    const b = parseBronze(shuffled);
    expect(b.ok && Object.keys(b.trip)).toEqual(RAW_TRIP_COLUMNS);
  });

  it('the tuned line writer of bench/taxi writes what rawTripLine writes, on generated trips', () => {
    let n = 0;
    for (const line of generateTrips({ events: 3000, seed: 11, duplicates: 0.01, bad: 0.01 })) {
      const b = parseBronze(line);
      if (!b.ok) continue;
      expect(rawTripLineTuned(b.trip)).toBe(rawTripLine(b.trip));
      n++;
    }
    expect(n).toBeGreaterThan(2900);
  });

  it('property: the tuned line writer equals rawTripLine on every trip Bronze lets through, hostile records included', () => {
    fc.assert(
      fc.property(fc.oneof(hostileRecord, validTrip), (record) => {
        const b = parseBronze(record);
        if (b.ok) expect(rawTripLineTuned(b.trip)).toBe(rawTripLine(b.trip));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(validTrip, (t) => {
        expect(rawTripLineTuned(t)).toBe(rawTripLine(t));
      }),
      { numRuns: 300 },
    );
  });
});
