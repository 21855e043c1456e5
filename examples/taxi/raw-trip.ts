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
 * The compact JSON line of a trip: `JSON.stringify(trip)`. Its fields come in the order the trip
 * lists them, the TLC column order for every trip this example makes (Bronze, the generator, the
 * parquet reader build them in that order).
 *
 * @param t - the trip.
 * @returns one JSON line, without a newline.
 * @example
 * rawTripLine(trip); // '{"VendorID":2,"tpep_pickup_datetime":"2024-01-01T00:57:55",…}'
 */
export function rawTripLine(t: RawTrip): string {
  return JSON.stringify(t);
}
