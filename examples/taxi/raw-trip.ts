/**
 * One TLC yellow-taxi trip as published (January 2024 parquet schema), under the original column
 * names. Timestamps are naive New York wall-clock text, `"2024-01-01T00:57:55"`.
 */
export interface RawTrip {
  VendorID: number | null;
  tpep_pickup_datetime: string | null;
  tpep_dropoff_datetime: string | null;
  passenger_count: number | null;
  trip_distance: number | null;
  RatecodeID: number | null;
  store_and_fwd_flag: 'Y' | 'N' | null;
  PULocationID: number | null;
  DOLocationID: number | null;
  payment_type: number | null;
  fare_amount: number | null;
  extra: number | null;
  mta_tax: number | null;
  tip_amount: number | null;
  tolls_amount: number | null;
  improvement_surcharge: number | null;
  total_amount: number | null;
  congestion_surcharge: number | null;
  Airport_fee: number | null;
}

/** The 19 TLC columns in file order; JSON lines list their fields in this order. */
export const RAW_TRIP_COLUMNS = [
  'VendorID',
  'tpep_pickup_datetime',
  'tpep_dropoff_datetime',
  'passenger_count',
  'trip_distance',
  'RatecodeID',
  'store_and_fwd_flag',
  'PULocationID',
  'DOLocationID',
  'payment_type',
  'fare_amount',
  'extra',
  'mta_tax',
  'tip_amount',
  'tolls_amount',
  'improvement_surcharge',
  'total_amount',
  'congestion_surcharge',
  'Airport_fee',
] as const satisfies readonly (keyof RawTrip)[];

/** Columns holding whole numbers (ids and counts). */
export const RAW_INTEGER_COLUMNS = [
  'VendorID',
  'passenger_count',
  'RatecodeID',
  'PULocationID',
  'DOLocationID',
  'payment_type',
] as const satisfies readonly (keyof RawTrip)[];

/** Columns holding decimal numbers (miles and dollars). */
export const RAW_DECIMAL_COLUMNS = [
  'trip_distance',
  'fare_amount',
  'extra',
  'mta_tax',
  'tip_amount',
  'tolls_amount',
  'improvement_surcharge',
  'total_amount',
  'congestion_surcharge',
  'Airport_fee',
] as const satisfies readonly (keyof RawTrip)[];

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
 * The compact JSON line of a trip, fields in TLC column order: byte-identical to
 * `JSON.stringify` of a {@link RawTrip} built in that order, and about twice as fast (the
 * generator's hot path).
 *
 * @param t - the trip.
 * @returns one JSON line, without a newline.
 * @example
 * rawTripLine(trip); // '{"VendorID":2,"tpep_pickup_datetime":"2024-01-01T00:57:55",…}'
 */
export function rawTripLine(t: RawTrip): string {
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
