import { appendNullable, inMemoryDuckDb, numberOrNull } from './in-memory-duckdb.js';
import { SETTLEMENT_AFTER_MS, settlementRow, type CardTrip, type SettlementRow } from './settlement-join.js';
import type { Settlement } from './settlement.js';

/** The left join: every card trip, with each settlement within 2 hours after its dropoff, or none. */
export const SETTLED_TRIPS_SQL = `
SELECT t.trip_id, t.dropoff_ts, t.total_amount, s.settled_ts, s.amount, s.tip_amount
FROM card_trips t
LEFT JOIN settlements s
  ON s.trip_id = t.trip_id AND s.settled_ts BETWEEN t.dropoff_ts AND t.dropoff_ts + ${SETTLEMENT_AFTER_MS}
ORDER BY t.trip_id, s.settled_ts`;

/** The settlements no card trip claims within the bound: the right side's leftovers. */
export const UNMATCHED_SETTLEMENTS_SQL = `
SELECT s.trip_id, s.settled_ts, s.amount, s.tip_amount
FROM settlements s
WHERE NOT EXISTS (
  SELECT 1 FROM card_trips t
  WHERE t.trip_id = s.trip_id AND s.settled_ts BETWEEN t.dropoff_ts AND t.dropoff_ts + ${SETTLEMENT_AFTER_MS})
ORDER BY s.trip_id, s.settled_ts`;

const TABLES_SQL = `
CREATE TABLE card_trips (trip_id VARCHAR NOT NULL, dropoff_ts BIGINT NOT NULL, total_amount DOUBLE);
CREATE TABLE settlements (trip_id VARCHAR NOT NULL, settled_ts BIGINT NOT NULL, amount DOUBLE, tip_amount DOUBLE)`;

/** The batch answers, in the streaming rows' shape. */
export interface BatchSettlements {
  settled: SettlementRow[];
  unmatched: SettlementRow[];
}

/**
 * The settlement join in DuckDB (an in-memory database opened and closed by the call): the left
 * join of card trips with the settlements within 2 hours after dropoff, and the settlements left
 * over. The streaming join must give the same rows.
 *
 * @param trips - card trips (Gold trips with payment type 1).
 * @param settlements - every parsed settlement of the input.
 * @returns the rows of `gold/settlements.jsonl` and `gold/settlements-unmatched.jsonl`.
 * @example const { settled, unmatched } = await batchSettlements(cardTrips, settlements);
 */
export async function batchSettlements(trips: Iterable<CardTrip>, settlements: Iterable<Settlement>): Promise<BatchSettlements> {
  return inMemoryDuckDb(async (connection) => {
    await connection.run(TABLES_SQL);
    const tripAppender = await connection.createAppender('card_trips');
    for (const t of trips) {
      tripAppender.appendVarchar(t.trip_id);
      tripAppender.appendBigInt(BigInt(t.dropoff_ts));
      appendNullable(tripAppender, t.total_amount, (x) => tripAppender.appendDouble(x));
      tripAppender.endRow();
    }
    tripAppender.closeSync();
    const settlementAppender = await connection.createAppender('settlements');
    for (const s of settlements) {
      settlementAppender.appendVarchar(s.trip_id);
      settlementAppender.appendBigInt(BigInt(s.settled_ts));
      appendNullable(settlementAppender, s.amount, (x) => settlementAppender.appendDouble(x));
      appendNullable(settlementAppender, s.tip_amount, (x) => settlementAppender.appendDouble(x));
      settlementAppender.endRow();
    }
    settlementAppender.closeSync();

    const settled = (await connection.runAndReadAll(SETTLED_TRIPS_SQL))
      .getRowObjectsJS()
      .map((r) =>
        settlementRow(
          { trip_id: String(r.trip_id), dropoff_ts: Number(r.dropoff_ts), total_amount: numberOrNull(r.total_amount) },
          r.settled_ts === null ? null : settlementOf(r),
        ),
      );
    const unmatched = (await connection.runAndReadAll(UNMATCHED_SETTLEMENTS_SQL))
      .getRowObjectsJS()
      .map((r) => settlementRow(null, settlementOf(r)));
    return { settled, unmatched };
  });
}

function settlementOf(r: Record<string, unknown>): Pick<Settlement, 'trip_id' | 'settled_ts' | 'amount' | 'tip_amount'> {
  return {
    trip_id: String(r.trip_id),
    settled_ts: Number(r.settled_ts),
    amount: numberOrNull(r.amount),
    tip_amount: numberOrNull(r.tip_amount),
  };
}
