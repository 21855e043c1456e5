import { describe, expect, it } from 'vitest';
import { parseBronze } from '../../examples/taxi/bronze.js';
import { SAMPLE_TRIP } from './fixtures.js';

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
});
