import type { RawTrip } from '../../examples/taxi/raw-trip.js';

/** The example trip of TAXI.md: the first row of the real January 2024 file. */
export const SAMPLE_TRIP: RawTrip = {
  VendorID: 2,
  tpep_pickup_datetime: '2024-01-01T00:57:55',
  tpep_dropoff_datetime: '2024-01-01T01:17:43',
  passenger_count: 1,
  trip_distance: 1.72,
  RatecodeID: 1,
  store_and_fwd_flag: 'N',
  PULocationID: 186,
  DOLocationID: 79,
  payment_type: 2,
  fare_amount: 17.7,
  extra: 1.0,
  mta_tax: 0.5,
  tip_amount: 0.0,
  tolls_amount: 0.0,
  improvement_surcharge: 1.0,
  total_amount: 22.7,
  congestion_surcharge: 2.5,
  Airport_fee: 0.0,
};

/** A raw trip with some fields replaced. */
export function rawTrip(overrides: Partial<RawTrip> = {}): RawTrip {
  return { ...SAMPLE_TRIP, ...overrides };
}
