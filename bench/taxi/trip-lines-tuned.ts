// The taxi example's JSON line writers as they were tuned for the benchmarks: template strings with
// cached number text. The example writes its lines with JSON.stringify (examples/taxi/raw-trip.ts,
// the Silver file's toJsonl); these give the same bytes, pinned by test/taxi/raw-trip.test.ts and
// test/taxi/silver.test.ts, and bench/fast-paths.bench.ts measures both.
import type { RawTrip } from '../../examples/taxi/raw-trip.js';
import type { SilverTrip } from '../../examples/taxi/silver.js';

/**
 * Text of whole-cent values between -$1,000 and $1,000, filled on first use. Shortest round-trip
 * number formatting is the costliest step of writing a trip; almost every amount and distance is a
 * whole number of cents, and the same few thousand values repeat.
 */
const CENT_LIMIT = 100_000;
const centText: (string | undefined)[] = new Array(2 * CENT_LIMIT);

/** JSON's text for a number or null, from the cache for whole cents. */
export function jsonNumber(x: number | null): string {
  if (x === null) return 'null';
  const c = Math.round(x * 100);
  if (c / 100 === x && c > -CENT_LIMIT && c < CENT_LIMIT) {
    return (centText[c + CENT_LIMIT] ??= String(x));
  }
  return Number.isFinite(x) ? String(x) : 'null';
}

/** JSON's text for a string that needs no escapes (timestamps, flags, hex ids), or null. */
export const jsonPlainString = (x: string | null): string => (x === null ? 'null' : `"${x}"`);

/**
 * The compact JSON line of a raw trip, fields in TLC column order: `rawTripLine` of the example
 * (JSON.stringify in column order), byte for byte, for trips whose strings need no escaping (Bronze
 * validates the timestamps; the flag is `"Y"`, `"N"` or null).
 * @example rawTripLineTuned(trip); // '{"VendorID":2,"tpep_pickup_datetime":"2024-01-01T00:57:55",…}'
 */
export function rawTripLineTuned(t: RawTrip): string {
  return (
    `{"VendorID":${jsonNumber(t.VendorID)},"tpep_pickup_datetime":${jsonPlainString(t.tpep_pickup_datetime)},"tpep_dropoff_datetime":${jsonPlainString(t.tpep_dropoff_datetime)}` +
    `,"passenger_count":${jsonNumber(t.passenger_count)},"trip_distance":${jsonNumber(t.trip_distance)},"RatecodeID":${jsonNumber(t.RatecodeID)}` +
    `,"store_and_fwd_flag":${jsonPlainString(t.store_and_fwd_flag)}` +
    `,"PULocationID":${jsonNumber(t.PULocationID)},"DOLocationID":${jsonNumber(t.DOLocationID)},"payment_type":${jsonNumber(t.payment_type)}` +
    `,"fare_amount":${jsonNumber(t.fare_amount)},"extra":${jsonNumber(t.extra)},"mta_tax":${jsonNumber(t.mta_tax)},"tip_amount":${jsonNumber(t.tip_amount)}` +
    `,"tolls_amount":${jsonNumber(t.tolls_amount)},"improvement_surcharge":${jsonNumber(t.improvement_surcharge)},"total_amount":${jsonNumber(t.total_amount)}` +
    `,"congestion_surcharge":${jsonNumber(t.congestion_surcharge)},"Airport_fee":${jsonNumber(t.Airport_fee)}}`
  );
}

/**
 * The compact JSON line of a Silver row: `JSON.stringify` of a row built by `toSilver` (same field
 * order), byte for byte. Its strings are Bronze-validated timestamps, the flag and a hex id: none
 * needs escaping.
 * @example silverTripLineTuned(toSilver(trip)!); // '{"trip_id":"3cb9…","vendor_id":2,…}'
 */
export function silverTripLineTuned(s: SilverTrip): string {
  return (
    `{"trip_id":"${s.trip_id}","vendor_id":${jsonNumber(s.vendor_id)},"pickup_datetime":"${s.pickup_datetime}","dropoff_datetime":"${s.dropoff_datetime}"` +
    `,"pickup_date":"${s.pickup_date}","pickup_ts":${jsonNumber(s.pickup_ts)},"dropoff_ts":${jsonNumber(s.dropoff_ts)}` +
    `,"passenger_count":${jsonNumber(s.passenger_count)},"trip_distance_miles":${jsonNumber(s.trip_distance_miles)},"rate_code_id":${jsonNumber(s.rate_code_id)}` +
    `,"store_and_fwd_flag":${jsonPlainString(s.store_and_fwd_flag)},"pickup_location_id":${jsonNumber(s.pickup_location_id)}` +
    `,"dropoff_location_id":${jsonNumber(s.dropoff_location_id)},"payment_type_id":${jsonNumber(s.payment_type_id)},"fare_amount":${jsonNumber(s.fare_amount)}` +
    `,"extra_amount":${jsonNumber(s.extra_amount)},"mta_tax":${jsonNumber(s.mta_tax)},"tip_amount":${jsonNumber(s.tip_amount)},"tolls_amount":${jsonNumber(s.tolls_amount)}` +
    `,"improvement_surcharge":${jsonNumber(s.improvement_surcharge)},"total_amount":${jsonNumber(s.total_amount)}` +
    `,"congestion_surcharge":${jsonNumber(s.congestion_surcharge)},"airport_fee":${jsonNumber(s.airport_fee)}}`
  );
}
