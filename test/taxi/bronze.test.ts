import { describe, expect, it } from 'vitest';
import { parseBronze } from '../../examples/taxi/bronze.js';
import fc from 'fast-check';
import { generateTrips } from '../../examples/taxi/generator.js';
import { parseBronzeTuned } from '../../bench/taxi/parse-bronze-tuned.js';
import { SAMPLE_TRIP } from './fixtures.js';
import { hostileRecord, timestampText } from './hostile-trips.js';

const line = JSON.stringify(SAMPLE_TRIP);

function reason(raw: unknown): string {
  const r = parseBronze(raw);
  if (r.ok) throw new Error('expected a dead letter');
  expect(r.deadLetter.raw).toBe(raw);
  return r.deadLetter.reason;
}

describe('Bronze', () => {
  it('parses a raw line and a decoded object to the same trip', () => {
    expect(parseBronze(line)).toEqual({ ok: true, trip: SAMPLE_TRIP });
    expect(parseBronze({ ...SAMPLE_TRIP })).toEqual({ ok: true, trip: SAMPLE_TRIP });
  });

  it('reads an absent nullable column as null', () => {
    const { Airport_fee: _, ...rest } = SAMPLE_TRIP;
    const r = parseBronze(JSON.stringify(rest));
    expect(r.ok && r.trip.Airport_fee).toBeNull();
  });

  it('dead-letters broken JSON and non-objects', () => {
    expect(reason(line.slice(0, 40))).toMatch(/^broken JSON/);
    expect(reason('[1,2]')).toBe('not a JSON object');
    expect(reason('null')).toBe('not a JSON object');
    expect(reason(42)).toBe('not a JSON object');
  });

  it('dead-letters missing, null and malformed timestamps', () => {
    const { tpep_pickup_datetime: _, ...noPickup } = SAMPLE_TRIP;
    expect(reason(JSON.stringify(noPickup))).toBe('missing timestamp: tpep_pickup_datetime');
    expect(reason(JSON.stringify({ ...SAMPLE_TRIP, tpep_dropoff_datetime: null }))).toBe('missing timestamp: tpep_dropoff_datetime');
    expect(reason(JSON.stringify({ ...SAMPLE_TRIP, tpep_pickup_datetime: 1704070675000 }))).toMatch(/^wrong type: tpep_pickup_datetime/);
    expect(reason(JSON.stringify({ ...SAMPLE_TRIP, tpep_pickup_datetime: '2024-01-01 00:57:55' }))).toMatch(/^bad timestamp/);
    expect(reason(JSON.stringify({ ...SAMPLE_TRIP, tpep_pickup_datetime: '2024-02-30T00:57:55' }))).toMatch(/^bad timestamp/);
  });

  it('dead-letters strings for numbers and fractional ids instead of coercing them', () => {
    expect(reason(line.replace('"fare_amount":17.7', '"fare_amount":"17.7"'))).toBe(
      'wrong type: fare_amount must be a number or null, got "17.7"',
    );
    expect(reason(JSON.stringify({ ...SAMPLE_TRIP, PULocationID: '186' }))).toMatch(/^wrong type: PULocationID/);
    expect(reason(JSON.stringify({ ...SAMPLE_TRIP, passenger_count: 1.5 }))).toMatch(/^wrong type: passenger_count/);
    expect(reason(JSON.stringify({ ...SAMPLE_TRIP, store_and_fwd_flag: 'yes' }))).toMatch(/^wrong type: store_and_fwd_flag/);
  });

  it('names the operator on each dead letter', () => {
    const r = parseBronze('{');
    expect(!r.ok && r.deadLetter.operator).toBe('taxi.bronze');
  });

  it('dead-letters timestamps that name no real time: month 13, February 30th, hour 24, a leap day of a common year', () => {
    for (const text of [
      '2024-13-01T00:00:00',
      '2024-02-30T00:00:00',
      '2024-01-01T24:00:00',
      '2023-02-29T12:00:00',
      '2024-01-01T00:60:00',
    ]) {
      expect(reason(JSON.stringify({ ...SAMPLE_TRIP, tpep_pickup_datetime: text }))).toBe(
        `bad timestamp: tpep_pickup_datetime = ${JSON.stringify(text)}`,
      );
    }
    expect(parseBronze(JSON.stringify({ ...SAMPLE_TRIP, tpep_pickup_datetime: '2024-02-29T23:59:59' })).ok).toBe(true);
  });
});

describe('the tuned Bronze parser of bench/taxi', () => {
  it('gives what parseBronze gives on generated lines, duplicates and broken records included', () => {
    let n = 0;
    for (const raw of generateTrips({ events: 3000, seed: 3, duplicates: 0.02, bad: 0.05 })) {
      expect(parseBronzeTuned(raw)).toEqual(parseBronze(raw));
      n++;
    }
    expect(n).toBeGreaterThan(3000);
  });

  it('property: gives what parseBronze gives on hostile records and timestamps', () => {
    fc.assert(
      fc.property(hostileRecord, (raw) => {
        expect(parseBronzeTuned(raw)).toEqual(parseBronze(raw));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(timestampText, timestampText, (pickup, dropoff) => {
        const line = JSON.stringify({ ...SAMPLE_TRIP, tpep_pickup_datetime: pickup, tpep_dropoff_datetime: dropoff });
        expect(parseBronzeTuned(line)).toEqual(parseBronze(line));
      }),
      { numRuns: 3000 },
    );
  });
});
