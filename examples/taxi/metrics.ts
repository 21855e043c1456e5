import { parseNaiveTimestamp } from './ny-time.js';
import { roundHalfAway } from './round-half-away.js';
import type { SilverTrip } from './silver.js';

/**
 * How a trip's length in whole minutes is counted. The published engines disagreed here, which is
 * why their metric tables differ in size:
 * - `'rounded'`: elapsed seconds / 60, rounded half away from zero (RisingWave; streamkit's rule);
 * - `'truncated'`: elapsed seconds / 60, truncated toward zero (Spark's `CAST(... AS INT)`);
 * - `'boundary'`: minute boundaries crossed, as SQL `datediff('minute', pickup, dropoff)`.
 */
export type MinuteRule = 'rounded' | 'truncated' | 'boundary';

/** The rule streamkit states and uses for `trip_duration_minutes`: rounded, as RisingWave. */
export const STREAMKIT_MINUTE_RULE: MinuteRule = 'rounded';

/** The published dbt `int_trip_metrics` columns. */
export interface TripMetrics {
  trip_duration_minutes: number;
  /** `round(distance / (minutes / 60), 2)`; null when the trip lasted 0 minutes. */
  avg_speed_mph: number | null;
  /** `round(fare / distance, 2)`; null when the distance is 0. */
  cost_per_mile: number | null;
  /** `round(tip / fare * 100, 2)`; null when the fare is 0 or the tip unknown. */
  tip_percentage: number | null;
  /** Local (New York) hour of the pickup, 0–23. */
  pickup_hour: number;
  /** Local day of week of the pickup, 0 = Sunday … 6 = Saturday (DuckDB's `dayofweek`). */
  pickup_day_of_week: number;
  is_weekend: boolean;
}

/** A Silver trip with its metrics: the rows every Gold window aggregates. */
export type GoldTrip = SilverTrip & TripMetrics;

/**
 * Whole minutes between two instants under one {@link MinuteRule}.
 *
 * @param pickupTs - epoch ms.
 * @param dropoffTs - epoch ms.
 * @param rule - the counting rule.
 * @returns minutes (negative when the dropoff precedes the pickup).
 * @example
 * tripMinutes(0, 45_000, 'rounded'); // 1
 * tripMinutes(0, 45_000, 'truncated'); // 0
 * tripMinutes(30_000, 75_000, 'boundary'); // 1
 */
export function tripMinutes(pickupTs: number, dropoffTs: number, rule: MinuteRule): number {
  switch (rule) {
    case 'rounded':
      return roundHalfAway((dropoffTs - pickupTs) / 60_000, 0);
    case 'truncated':
      return Math.trunc((dropoffTs - pickupTs) / 60_000) || 0;
    case 'boundary':
      return Math.floor(dropoffTs / 60_000) - Math.floor(pickupTs / 60_000);
    default:
      throw new RangeError(`rule must be 'rounded', 'truncated' or 'boundary', got ${JSON.stringify(rule)}`);
  }
}

/**
 * Computes the dbt `int_trip_metrics` columns for a Silver trip.
 *
 * @param trip - a Silver trip.
 * @param rule - how minutes are counted; default {@link STREAMKIT_MINUTE_RULE}.
 * @returns the metrics.
 * @example
 * tripMetrics(trip).avg_speed_mph; // 20 for 10 miles in 30 minutes
 */
export function tripMetrics(trip: SilverTrip, rule: MinuteRule = STREAMKIT_MINUTE_RULE): TripMetrics {
  const minutes = tripMinutes(trip.pickup_ts, trip.dropoff_ts, rule);
  const distance = trip.trip_distance_miles;
  const fare = trip.fare_amount;
  const tip = trip.tip_amount;
  const naive = parseNaiveTimestamp(trip.pickup_datetime) as number;
  const dayNumber = Math.floor(naive / DAY_MS);
  // Day 0 (1970-01-01) was a Thursday; the same as `getUTCDay()` without a Date per trip.
  const day = (((dayNumber + 4) % 7) + 7) % 7;
  return {
    trip_duration_minutes: minutes,
    avg_speed_mph: speedMph(distance, minutes),
    cost_per_mile: distance === 0 ? null : roundHalfAway(fare / distance, 2),
    tip_percentage: fare === 0 || tip === null ? null : roundHalfAway((tip / fare) * 100, 2),
    pickup_hour: Math.floor((naive - dayNumber * DAY_MS) / HOUR_MS),
    pickup_day_of_week: day,
    is_weekend: day === 0 || day === 6,
  };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function speedMph(distance: number, minutes: number): number | null {
  return minutes === 0 ? null : roundHalfAway(distance / (minutes / 60), 2);
}

/**
 * The published impossible-trip filter: `duration between 1 and 720 and (speed is null or
 * speed < 100)`.
 *
 * @param m - the trip's metrics.
 * @returns whether the trip is kept.
 * @example
 * isPossibleTrip({ ...m, trip_duration_minutes: 780 }); // false
 */
export function isPossibleTrip(m: Pick<TripMetrics, 'trip_duration_minutes' | 'avg_speed_mph'>): boolean {
  const d = m.trip_duration_minutes;
  return d >= 1 && d <= 720 && (m.avg_speed_mph === null || m.avg_speed_mph < 100);
}

/** Whether a trip survives the impossible-trip filter under each minute rule. */
export interface TripVerdicts {
  rounded: boolean;
  truncated: boolean;
  boundary: boolean;
}

/**
 * Applies the impossible-trip filter under all three minute rules, so a report can show how many
 * trips each engine's rule keeps.
 *
 * @param trip - a Silver trip.
 * @returns one verdict per rule.
 * @example
 * tripVerdicts(fortyFiveSecondTrip); // { rounded: true, truncated: false, boundary: … }
 */
export function tripVerdicts(trip: SilverTrip): TripVerdicts {
  return {
    rounded: isPossibleUnder(trip, 'rounded'),
    truncated: isPossibleUnder(trip, 'truncated'),
    boundary: isPossibleUnder(trip, 'boundary'),
  };
}

/** The filter reads only duration and speed, so a verdict needs no other metric. */
function isPossibleUnder(trip: SilverTrip, rule: MinuteRule): boolean {
  const minutes = tripMinutes(trip.pickup_ts, trip.dropoff_ts, rule);
  return isPossibleTrip({ trip_duration_minutes: minutes, avg_speed_mph: speedMph(trip.trip_distance_miles, minutes) });
}

/**
 * Adds metrics to a Silver trip and drops it if impossible: the step between Silver and Gold.
 *
 * @param trip - a Silver trip.
 * @param rule - how minutes are counted; default {@link STREAMKIT_MINUTE_RULE}.
 * @returns the Gold input row, or `null` for an impossible trip.
 * @example
 * stream.map(s => withMetrics(s)).filter((t): t is GoldTrip => t !== null);
 */
export function withMetrics(trip: SilverTrip, rule: MinuteRule = STREAMKIT_MINUTE_RULE): GoldTrip | null {
  const m = tripMetrics(trip, rule);
  if (!isPossibleTrip(m)) return null;
  // Spelled out rather than spread: one object of one shape per trip, with Silver's columns first.
  return {
    trip_id: trip.trip_id,
    vendor_id: trip.vendor_id,
    pickup_datetime: trip.pickup_datetime,
    dropoff_datetime: trip.dropoff_datetime,
    pickup_date: trip.pickup_date,
    pickup_ts: trip.pickup_ts,
    dropoff_ts: trip.dropoff_ts,
    passenger_count: trip.passenger_count,
    trip_distance_miles: trip.trip_distance_miles,
    rate_code_id: trip.rate_code_id,
    store_and_fwd_flag: trip.store_and_fwd_flag,
    pickup_location_id: trip.pickup_location_id,
    dropoff_location_id: trip.dropoff_location_id,
    payment_type_id: trip.payment_type_id,
    fare_amount: trip.fare_amount,
    extra_amount: trip.extra_amount,
    mta_tax: trip.mta_tax,
    tip_amount: trip.tip_amount,
    tolls_amount: trip.tolls_amount,
    improvement_surcharge: trip.improvement_surcharge,
    total_amount: trip.total_amount,
    congestion_surcharge: trip.congestion_surcharge,
    airport_fee: trip.airport_fee,
    trip_duration_minutes: m.trip_duration_minutes,
    avg_speed_mph: m.avg_speed_mph,
    cost_per_mile: m.cost_per_mile,
    tip_percentage: m.tip_percentage,
    pickup_hour: m.pickup_hour,
    pickup_day_of_week: m.pickup_day_of_week,
    is_weekend: m.is_weekend,
  };
}
