import { hash } from 'node:crypto';
import { nyNaiveToEpoch, parseNaiveTimestamp } from './ny-time.js';
import type { RawTrip } from './raw-trip.js';
import { roundHalfAway } from './round-half-away.js';

/** A cleaned trip: the published Silver table's columns (snake_case, money to the cent) plus event times. */
export interface SilverTrip {
  /** sha256 hex of the natural key; see {@link tripId}. */
  trip_id: string;
  vendor_id: number | null;
  /** Naive New York wall-clock text, as in the raw record. */
  pickup_datetime: string;
  dropoff_datetime: string;
  /** Local calendar day of the pickup, `"YYYY-MM-DD"`. */
  pickup_date: string;
  /** Pickup instant, epoch ms, read in America/New_York: the event time of every Gold window. */
  pickup_ts: number;
  dropoff_ts: number;
  passenger_count: number | null;
  trip_distance_miles: number;
  rate_code_id: number | null;
  store_and_fwd_flag: 'Y' | 'N' | null;
  pickup_location_id: number | null;
  dropoff_location_id: number | null;
  payment_type_id: number | null;
  fare_amount: number;
  extra_amount: number | null;
  mta_tax: number | null;
  tip_amount: number | null;
  tolls_amount: number | null;
  improvement_surcharge: number | null;
  total_amount: number | null;
  congestion_surcharge: number | null;
  airport_fee: number | null;
}

const FIRST_DAY = '2024-01-01';
const END_DAY = '2024-02-01';

/**
 * The published Silver predicate, with SQL three-valued logic (a null fails):
 * `pickup IS NOT NULL AND dropoff IS NOT NULL AND trip_distance >= 0 AND fare_amount >= 0 AND
 * pickup date >= 2024-01-01 AND pickup date < 2024-02-01`. The date is the local (New York)
 * calendar date of the pickup; the dropoff may fall in February. Zero fare and zero distance pass.
 *
 * @param trip - a Bronze trip.
 * @returns whether the trip belongs in Silver.
 * @example
 * passesSilver({ ...trip, fare_amount: -5 }); // false
 */
export function passesSilver(trip: RawTrip): boolean {
  const pickup = trip.tpep_pickup_datetime;
  if (pickup === null || trip.tpep_dropoff_datetime === null) return false;
  if (trip.trip_distance === null || !(trip.trip_distance >= 0)) return false;
  if (trip.fare_amount === null || !(trip.fare_amount >= 0)) return false;
  const day = pickup.slice(0, 10);
  return day >= FIRST_DAY && day < END_DAY;
}

function money(x: number | null): number | null {
  return x === null ? null : roundHalfAway(x, 2);
}

function keyPart(x: number | null): string {
  return x === null ? '' : String(x);
}

function moneyKeyPart(x: number | null): string {
  return x === null ? '' : roundHalfAway(x, 2).toFixed(2);
}

/**
 * The trip's identity: sha256 (hex, lower case) of the natural key's seven fields joined with
 * `|`, each written canonically so every engine can recompute it:
 * `VendorID` | pickup | dropoff | `PULocationID` | `DOLocationID` | `fare_amount` | `total_amount`,
 * where ids are plain decimal integers (`2`), timestamps the naive text `2024-01-01T00:57:55`,
 * money rounded half away from zero to the cent with exactly two decimals (`17.70`, `-5.00`,
 * `0.00`), and null is the empty string.
 *
 * @param trip - a Bronze trip.
 * @returns 64 hex characters.
 * @example
 * tripId(trip); // sha256('2|2024-01-01T00:57:55|2024-01-01T01:17:43|186|79|17.70|22.70')
 */
export function tripId(trip: RawTrip): string {
  const key = [
    keyPart(trip.VendorID),
    trip.tpep_pickup_datetime ?? '',
    trip.tpep_dropoff_datetime ?? '',
    keyPart(trip.PULocationID),
    keyPart(trip.DOLocationID),
    moneyKeyPart(trip.fare_amount),
    moneyKeyPart(trip.total_amount),
  ].join('|');
  // One-shot hash: no Hash object per trip.
  return hash('sha256', key, 'hex');
}

/**
 * Silver: applies {@link passesSilver}, then renames to snake_case, rounds money to the cent, adds
 * `pickup_date`, the `trip_id` and the event times `pickup_ts` / `dropoff_ts` (epoch ms, read in
 * America/New_York). Dedup on `trip_id` is the stream's job (`.dedup(t => t.trip_id)`) or
 * {@link silverTrips}'s in batch.
 *
 * @param trip - a Bronze trip.
 * @returns the Silver row, or `null` when the predicate rejects the trip.
 * @example
 * const s = toSilver(trip);
 * if (s) console.log(s.trip_id, s.pickup_ts);
 */
export function toSilver(trip: RawTrip): SilverTrip | null {
  if (!passesSilver(trip)) return null;
  const pickup = trip.tpep_pickup_datetime as string;
  const dropoff = trip.tpep_dropoff_datetime as string;
  const pickupNaive = parseNaiveTimestamp(pickup);
  const dropoffNaive = parseNaiveTimestamp(dropoff);
  // Bronze guarantees parseable timestamps; a hand-built RawTrip may not, and has no event time.
  if (pickupNaive === null || dropoffNaive === null) return null;
  return {
    trip_id: tripId(trip),
    vendor_id: trip.VendorID,
    pickup_datetime: pickup,
    dropoff_datetime: dropoff,
    pickup_date: pickup.slice(0, 10),
    pickup_ts: nyNaiveToEpoch(pickupNaive),
    dropoff_ts: nyNaiveToEpoch(dropoffNaive),
    passenger_count: trip.passenger_count,
    trip_distance_miles: trip.trip_distance as number,
    rate_code_id: trip.RatecodeID,
    store_and_fwd_flag: trip.store_and_fwd_flag,
    pickup_location_id: trip.PULocationID,
    dropoff_location_id: trip.DOLocationID,
    payment_type_id: trip.payment_type,
    fare_amount: roundHalfAway(trip.fare_amount as number, 2),
    extra_amount: money(trip.extra),
    mta_tax: money(trip.mta_tax),
    tip_amount: money(trip.tip_amount),
    tolls_amount: money(trip.tolls_amount),
    improvement_surcharge: money(trip.improvement_surcharge),
    total_amount: money(trip.total_amount),
    congestion_surcharge: money(trip.congestion_surcharge),
    airport_fee: money(trip.Airport_fee),
  };
}

/** Counts kept by {@link silverTrips}: every input trip is exactly one of these. */
export interface SilverCounts {
  kept: number;
  rejected: number;
  duplicates: number;
}

/**
 * Batch Silver: {@link toSilver} over a sequence, keeping the first copy of each `trip_id`
 * (the published dedup). Holds one Set entry per kept trip.
 *
 * @param trips - Bronze trips in arrival order.
 * @param counts - optional counters, updated as the sequence is consumed.
 * @returns the Silver rows, lazily.
 * @example
 * const counts = { kept: 0, rejected: 0, duplicates: 0 };
 * const rows = [...silverTrips(trips, counts)];
 */
export function* silverTrips(trips: Iterable<RawTrip>, counts?: SilverCounts): Generator<SilverTrip> {
  const seen = new Set<string>();
  for (const trip of trips) {
    const s = toSilver(trip);
    if (s === null) {
      if (counts) counts.rejected++;
      continue;
    }
    if (seen.has(s.trip_id)) {
      if (counts) counts.duplicates++;
      continue;
    }
    seen.add(s.trip_id);
    if (counts) counts.kept++;
    yield s;
  }
}
