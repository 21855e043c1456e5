/**
 * The taxi example's data side: raw TLC trips (generated or read from parquet), Bronze parsing,
 * Silver rules, trip metrics, and batch Gold in DuckDB to check the streaming Gold jobs against.
 */
export { parseBronze, type BronzeResult } from './bronze.js';
export { batchGold, DAILY_SUMMARY_SQL, HOURLY_PATTERNS_SQL, type BatchGoldResult } from './batch-gold.js';
export { compareGold, type CompareGoldOptions, type GoldComparison, type GoldDifference } from './compare-gold.js';
export {
  generateTripEvents,
  generateTrips,
  JANUARY_2024_TRIPS,
  MAX_NETWORK_DELAY_MS,
  MAX_SEND_AFTER_PICKUP_MS,
  TRIP_DISORDER_BOUND_MS,
  type GenerateTripsOptions,
  type TripEvent,
} from './generator.js';
export { GOLD_FIELD_KINDS, type GoldFieldKind, type GoldRow, type GoldWindow } from './gold-row.js';
export {
  isPossibleTrip,
  STREAMKIT_MINUTE_RULE,
  tripMetrics,
  tripMinutes,
  tripVerdicts,
  withMetrics,
  type GoldTrip,
  type MinuteRule,
  type TripMetrics,
  type TripVerdicts,
} from './metrics.js';
export { formatNaiveTimestamp, nyDayStart, nyNaiveToEpoch, parseNaiveTimestamp, TAXI_TIME_ZONE } from './ny-time.js';
export { readParquetTrips } from './parquet.js';
export { cumulativeWeights, Prng } from './prng.js';
export { RAW_DECIMAL_COLUMNS, RAW_INTEGER_COLUMNS, RAW_TRIP_COLUMNS, rawTripLine, type RawTrip } from './raw-trip.js';
export { roundHalfAway } from './round-half-away.js';
export { passesSilver, silverTrips, toSilver, tripId, type SilverCounts, type SilverTrip } from './silver.js';
export { MANHATTAN_CORE_ZONES, pickupZoneWeights, UNUSED_PICKUP_ZONES, ZONE_COUNT, ZONES } from './zones.js';
