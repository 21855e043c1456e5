import type { GoldRow } from './gold-row.js';
import { appendNullable, inMemoryDuckDb, numberOrNull } from './in-memory-duckdb.js';
import type { TaxiZone } from './zone-table.js';

const HOUR_MS = 3_600_000;

/** What the borough Gold reads of a Gold trip. */
export interface ZoneTrip {
  pickup_ts: number;
  pickup_location_id: number | null;
  dropoff_location_id: number | null;
  total_amount: number | null;
}

/** Trips and revenue per pickup borough and hour (a zone not in the table is borough `none`). */
export const BOROUGH_HOURLY_SQL = `
SELECT coalesce(pz.Borough, 'none')                      AS borough_key,
       t.pickup_ts // ${HOUR_MS}                         AS hour,
       count(*)                                          AS trips,
       sum(round(t.total_amount * 100))::BIGINT / 100.0  AS revenue
FROM trips t
LEFT JOIN zones pz ON pz.LocationID = t.pickup_location_id
GROUP BY borough_key, hour
ORDER BY borough_key, hour`;

/** Trips and revenue per pickup → dropoff borough pair and hour. */
export const BOROUGH_PAIRS_HOURLY_SQL = `
SELECT coalesce(pz.Borough, 'none') || ' → ' || coalesce(dz.Borough, 'none') AS borough_key,
       t.pickup_ts // ${HOUR_MS}                         AS hour,
       count(*)                                          AS trips,
       sum(round(t.total_amount * 100))::BIGINT / 100.0  AS revenue
FROM trips t
LEFT JOIN zones pz ON pz.LocationID = t.pickup_location_id
LEFT JOIN zones dz ON dz.LocationID = t.dropoff_location_id
GROUP BY borough_key, hour
ORDER BY borough_key, hour`;

/** Batch borough Gold, in the window-result shape `compareGold` reads. */
export interface BatchBoroughs {
  boroughHourly: GoldRow[];
  boroughPairsHourly: GoldRow[];
}

/**
 * The borough Gold in DuckDB (an in-memory database opened and closed by the call): Gold trips
 * left-joined to the zone table on their pickup (and dropoff) zone, then grouped per hour as the
 * hourly patterns are. The streaming lookups and windows must give the same rows.
 *
 * @param trips - the Gold trips' zones, pickup times and totals.
 * @param zones - the zone table.
 * @returns rows keyed by borough and by borough pair, one per hour with trips.
 * @example const { boroughHourly } = await batchBoroughs(trips, readZoneTable());
 */
export async function batchBoroughs(trips: Iterable<ZoneTrip>, zones: readonly TaxiZone[]): Promise<BatchBoroughs> {
  return inMemoryDuckDb(async (connection) => {
    await connection.run(`
CREATE TABLE zones (LocationID INTEGER NOT NULL, Borough VARCHAR NOT NULL, Zone VARCHAR NOT NULL, service_zone VARCHAR NOT NULL);
CREATE TABLE trips (pickup_ts BIGINT NOT NULL, pickup_location_id INTEGER, dropoff_location_id INTEGER, total_amount DOUBLE)`);
    const zoneAppender = await connection.createAppender('zones');
    for (const z of zones) {
      zoneAppender.appendInteger(z.LocationID);
      zoneAppender.appendVarchar(z.Borough);
      zoneAppender.appendVarchar(z.Zone);
      zoneAppender.appendVarchar(z.service_zone);
      zoneAppender.endRow();
    }
    zoneAppender.closeSync();
    const tripAppender = await connection.createAppender('trips');
    for (const t of trips) {
      tripAppender.appendBigInt(BigInt(t.pickup_ts));
      appendNullable(tripAppender, t.pickup_location_id, (x) => tripAppender.appendInteger(x));
      appendNullable(tripAppender, t.dropoff_location_id, (x) => tripAppender.appendInteger(x));
      if (t.total_amount === null) tripAppender.appendNull();
      else tripAppender.appendDouble(t.total_amount);
      tripAppender.endRow();
    }
    tripAppender.closeSync();
    const rows = async (sql: string): Promise<GoldRow[]> =>
      (await connection.runAndReadAll(sql)).getRowObjectsJS().map((r) => {
        const start = Number(r.hour) * HOUR_MS;
        return {
          key: String(r.borough_key),
          window: { start, end: start + HOUR_MS },
          value: { trips: Number(r.trips), revenue: numberOrNull(r.revenue) },
        };
      });
    return { boroughHourly: await rows(BOROUGH_HOURLY_SQL), boroughPairsHourly: await rows(BOROUGH_PAIRS_HOURLY_SQL) };
  });
}
