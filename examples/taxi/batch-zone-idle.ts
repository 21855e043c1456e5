import { inMemoryDuckDb } from './in-memory-duckdb.js';
import { ZONE_IDLE_AFTER_MS, zoneIdleAlert, type ZoneIdleAlert } from './zone-idle.js';

/** A Silver pickup: the zone and the instant. */
export interface ZonePickup {
  zone: number | null;
  pickup_ts: number;
}

/**
 * Gaps of more than 30 minutes between consecutive pickups of a zone (the last pickup of a zone
 * has no next one: the end of the input is a gap), from Silver's distinct pickup instants.
 */
export const ZONE_IDLE_SQL = `
SELECT zone, pickup_ts AS idle_since
FROM (
  SELECT zone, pickup_ts, lead(pickup_ts) OVER (PARTITION BY zone ORDER BY pickup_ts) AS next_pickup
  FROM (SELECT DISTINCT zone, pickup_ts FROM pickups WHERE zone IS NOT NULL)
)
WHERE next_pickup IS NULL OR next_pickup - pickup_ts > ${ZONE_IDLE_AFTER_MS}
ORDER BY zone, idle_since`;

/**
 * Zone-idle alerts in batch, in DuckDB (an in-memory database opened and closed by the call): the
 * alerts the streaming process function must keep after an upsert by id.
 *
 * @param pickups - every Silver trip's pickup zone and instant.
 * @returns one alert per gap, `retracted: false`, ordered by zone and time.
 * @example const alerts = await batchZoneIdle([{ zone: 132, pickup_ts: 0 }]); // [{ id: '132@0', … }]
 */
export async function batchZoneIdle(pickups: Iterable<ZonePickup>): Promise<ZoneIdleAlert[]> {
  return inMemoryDuckDb(async (connection) => {
    await connection.run('CREATE TABLE pickups (zone INTEGER, pickup_ts BIGINT NOT NULL)');
    const appender = await connection.createAppender('pickups');
    for (const p of pickups) {
      if (p.zone === null) appender.appendNull();
      else appender.appendInteger(p.zone);
      appender.appendBigInt(BigInt(p.pickup_ts));
      appender.endRow();
    }
    appender.closeSync();
    const rows = (await connection.runAndReadAll(ZONE_IDLE_SQL)).getRowObjectsJS();
    return rows.map((r) => zoneIdleAlert(Number(r.zone), Number(r.idle_since), false));
  });
}
