import { boundedOutOfOrderness, type DeadLetter, type LateRecord, type Sink, type Stream } from '../../src/index.js';
import { TRIP_DISORDER_BOUND_MS } from './generator.js';
import type { GoldTrip } from './metrics.js';
import type { Settlement } from './settlement.js';

/** A settlement belongs to a trip when it comes at most this long after the trip's dropoff. */
export const SETTLEMENT_BOUND = { before: 0, after: '2h' } as const;
/** {@link SETTLEMENT_BOUND}'s `after`, in ms, for the batch check. */
export const SETTLEMENT_AFTER_MS = 2 * 3_600_000;
/**
 * How long the join keeps waiting for stragglers (a store-and-forward trip uploaded up to two days
 * late): as long as the exact daily and hourly streams, so the join equals the batch left join.
 */
export const SETTLEMENT_LATENESS = '3d';
/** Payment type 1: card trips are the ones a payment processor settles. */
export const CARD_PAYMENT = 1;

/**
 * One row of `gold/settlements.jsonl` (a card trip, settled or not) or of
 * `gold/settlements-unmatched.jsonl` (a settlement no trip claimed within the bound).
 */
export interface SettlementRow {
  /** Upsert key: `trip_id` for an unsettled trip, `trip_id@settled_ts` for a settlement. */
  id: string;
  status: 'settled' | 'unsettled' | 'unmatched';
  trip_id: string;
  /** The trip's dropoff, epoch ms; null for an unmatched settlement. */
  dropoff_ts: number | null;
  /** What the meter charged; null for an unmatched settlement. */
  total_amount: number | null;
  /** When the payment settled, epoch ms; null for an unsettled trip. */
  settled_ts: number | null;
  settled_amount: number | null;
  settled_tip: number | null;
}

/** The trip side of the join: a card trip's identity, dropoff and charge. */
export interface CardTrip {
  trip_id: string;
  dropoff_ts: number;
  total_amount: number | null;
}

/**
 * The trip side of a Gold trip.
 *
 * @param t - a Gold trip.
 * @returns its id, dropoff and charge.
 * @example cardTrip(goldTrip).dropoff_ts;
 */
export function cardTrip(t: GoldTrip): CardTrip {
  return { trip_id: t.trip_id, dropoff_ts: t.dropoff_ts, total_amount: t.total_amount };
}

/**
 * The join's result for a pair, an unsettled trip (no settlement) or an unmatched settlement (no trip).
 *
 * @param trip - the card trip, or null.
 * @param settlement - its settlement, or null.
 * @returns the output row.
 * @example settlementRow({ trip_id: 'ab…', dropoff_ts: 0, total_amount: 22.7 }, null).status; // 'unsettled'
 */
export function settlementRow(
  trip: CardTrip | null,
  settlement: Pick<Settlement, 'trip_id' | 'settled_ts' | 'amount' | 'tip_amount'> | null,
): SettlementRow {
  const status = trip === null ? 'unmatched' : settlement === null ? 'unsettled' : 'settled';
  const tripId = (trip?.trip_id ?? settlement?.trip_id) as string;
  return {
    id: settlement === null ? tripId : `${tripId}@${settlement.settled_ts}`,
    status,
    trip_id: tripId,
    dropoff_ts: trip?.dropoff_ts ?? null,
    total_amount: trip?.total_amount ?? null,
    settled_ts: settlement?.settled_ts ?? null,
    settled_amount: settlement?.amount ?? null,
    settled_tip: settlement?.tip_amount ?? null,
  };
}

/**
 * Card trips joined to their payment settlements (an interval join on `trip_id`, event time =
 * dropoff for trips and settlement time for settlements, within {@link SETTLEMENT_BOUND}): every
 * card trip once in `settled` — with its settlement, or `unsettled` once the bound has closed — and
 * every settlement that found no trip within the bound (it came too late, or its trip was broken
 * or rejected) in `unmatched`. That is the left join, plus the right side's leftovers, so every
 * settlement is accounted for.
 *
 * @param trips - Gold trips (after the impossible-trip filter, so a dropoff is at most 12 hours after its pickup).
 * @param settlements - parsed settlements, timestamped with `settled_ts`.
 * @param sinks - the two outputs, where records later than the join's lateness go, and the dead letters.
 * @returns the stream, ending in the sinks.
 * @example tripSettlements(goldTrips, settlements, { settled, unmatched, late, dead });
 */
export function tripSettlements(
  trips: Stream<GoldTrip, any>,
  settlements: Stream<Settlement, any>,
  sinks: { settled: Sink<SettlementRow>; unmatched: Sink<SettlementRow>; late: Sink<LateRecord>; dead: Sink<DeadLetter> },
) {
  return trips
    .filter((t) => t.payment_type_id === CARD_PAYMENT)
    .map(cardTrip)
    .withTimestamps((t) => t.dropoff_ts, boundedOutOfOrderness(TRIP_DISORDER_BOUND_MS))
    .keyBy((t) => t.trip_id)
    .join(
      settlements.keyBy((s) => s.trip_id),
      { within: SETTLEMENT_BOUND, kind: 'outer', allowedLateness: SETTLEMENT_LATENESS },
      settlementRow,
    )
    .uid('trip-settlements')
    .late(sinks.late)
    .deadLetters(sinks.dead)
    .branch((s) => s.filter((r) => r.status !== 'unmatched').to(sinks.settled))
    .filter((r) => r.status === 'unmatched')
    .to(sinks.unmatched);
}
