import type { GoldRow } from './gold-row.js';
import { appendNullable, inMemoryDuckDb, numberOrNull } from './in-memory-duckdb.js';
import type { GoldTrip } from './metrics.js';
import { nyDayStart } from './ny-time.js';

const HOUR_MS = 3_600_000;

/**
 * The daily summary (the published dbt `int_daily_summary`) per New York calendar day. Money is
 * summed in whole cents, so the batch answer is exact and a streaming sum can be checked to the
 * cent; averages skip nulls, as SQL does (speed of 0-minute trips, tip % of zero fares).
 */
export const DAILY_SUMMARY_SQL = `
SELECT pickup_date,
       count(*)                                          AS total_trips,
       sum(passenger_count)                              AS total_passengers,
       sum(round(total_amount * 100))::BIGINT / 100.0    AS total_revenue,
       sum(round(fare_amount * 100))::BIGINT / 100.0     AS total_fare,
       sum(round(tip_amount * 100))::BIGINT / 100.0      AS total_tips,
       avg(trip_distance_miles)                          AS avg_distance_miles,
       avg(trip_duration_minutes)                        AS avg_duration_minutes,
       avg(avg_speed_mph)                                AS avg_speed_mph,
       avg(tip_percentage)                               AS avg_tip_percentage,
       count(*) FILTER (WHERE payment_type_id = 1)       AS card_trips,
       count(*) FILTER (WHERE payment_type_id = 2)       AS cash_trips
FROM gold_trips
GROUP BY pickup_date
ORDER BY pickup_date`;

/**
 * Hourly patterns per hour of event time. New York's UTC offsets are whole hours, so epoch hours
 * are exactly the local clock hours (and the repeated autumn hour stays two distinct hours).
 */
export const HOURLY_PATTERNS_SQL = `
SELECT pickup_ts // ${HOUR_MS}                           AS hour,
       count(*)                                          AS total_trips,
       avg(trip_distance_miles)                          AS avg_distance_miles,
       avg(trip_duration_minutes)                        AS avg_duration_minutes,
       sum(round(total_amount * 100))::BIGINT / 100.0    AS total_revenue
FROM gold_trips
GROUP BY hour
ORDER BY hour`;

const TABLE_SQL = `
CREATE TABLE gold_trips (
  pickup_date VARCHAR NOT NULL,
  pickup_ts BIGINT NOT NULL,
  passenger_count INTEGER,
  trip_distance_miles DOUBLE NOT NULL,
  trip_duration_minutes INTEGER NOT NULL,
  avg_speed_mph DOUBLE,
  tip_percentage DOUBLE,
  fare_amount DOUBLE NOT NULL,
  tip_amount DOUBLE,
  total_amount DOUBLE,
  payment_type_id INTEGER
)`;

/** Batch Gold's answers, in streamkit's window-result shape. */
export interface BatchGoldResult {
  daily: GoldRow[];
  hourly: GoldRow[];
}

/**
 * Computes the daily summary and hourly patterns over Gold input rows in DuckDB (an in-memory
 * database opened and closed by the call), the engine of the published batch baseline. The
 * streaming Gold jobs must produce the same rows; check with `compareGold`.
 *
 * @param trips - Silver trips with metrics, impossible trips already dropped (see `withMetrics`).
 * @returns daily rows (window = the New York calendar day, 23 or 25 hours across DST) and hourly
 *   rows, each `{ window: { start, end }, value: { total_trips, … } }`, ordered by window.
 * @example
 * const { daily, hourly } = await batchGold(goldTrips);
 * daily[0].value.total_revenue; // dollars, exact to the cent
 */
export async function batchGold(trips: Iterable<GoldTrip>): Promise<BatchGoldResult> {
  return inMemoryDuckDb(async (connection) => {
    await connection.run(TABLE_SQL);
    const appender = await connection.createAppender('gold_trips');
    for (const t of trips) {
      appender.appendVarchar(t.pickup_date);
      appender.appendBigInt(BigInt(t.pickup_ts));
      appendNullable(appender, t.passenger_count, (x) => appender.appendInteger(x));
      appender.appendDouble(t.trip_distance_miles);
      appender.appendInteger(t.trip_duration_minutes);
      appendNullable(appender, t.avg_speed_mph, (x) => appender.appendDouble(x));
      appendNullable(appender, t.tip_percentage, (x) => appender.appendDouble(x));
      appender.appendDouble(t.fare_amount);
      appendNullable(appender, t.tip_amount, (x) => appender.appendDouble(x));
      appendNullable(appender, t.total_amount, (x) => appender.appendDouble(x));
      appendNullable(appender, t.payment_type_id, (x) => appender.appendInteger(x));
      appender.endRow();
    }
    appender.closeSync();

    const dailyRows = (await connection.runAndReadAll(DAILY_SUMMARY_SQL)).getRowObjectsJS();
    const daily = dailyRows.map((r): GoldRow => {
      const date = String(r.pickup_date);
      const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const { pickup_date: _, ...value } = r;
      return { window: { start: nyDayStart(date), end: nyDayStart(next) }, value: mapValues(value) };
    });
    const hourlyRows = (await connection.runAndReadAll(HOURLY_PATTERNS_SQL)).getRowObjectsJS();
    const hourly = hourlyRows.map((r): GoldRow => {
      const start = (numberOrNull(r.hour) as number) * HOUR_MS;
      const { hour: _, ...value } = r;
      return { window: { start, end: start + HOUR_MS }, value: mapValues(value) };
    });
    return { daily, hourly };
  });
}

function mapValues(o: Record<string, unknown>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(o)) out[k] = numberOrNull(v);
  return out;
}
