import { ArrivalHeap } from './arrival-heap.js';
import { MAX_NETWORK_DELAY_MS, sampledTrips, type GenerateTripsOptions } from './generator.js';
import { formatNaiveTimestamp } from './ny-time.js';
import { Prng } from './prng.js';
import { settlementLine } from './settlement.js';
import { tripId } from './silver.js';

const MINUTE_MS = 60_000;

/** Card trips whose payment is never settled (a declined card, a dispute): no settlement event at all. */
const P_NEVER_SETTLED = 0.02;
/**
 * Share of settlements captured by the card reader right after the ride; the others come with the
 * end-of-shift batch upload, 30 minutes to a few hours later (about one in six of those after 2 hours).
 */
const P_CAPTURED_AT_ONCE = 0.85;
/** A settlement comes within a day of the ride, or not at all. */
const MAX_SETTLEMENT_DELAY_MS = 24 * 60 * MINUTE_MS;

/**
 * Generates the card-payment settlement events of the trips {@link generateTripEvents} makes with
 * the same `events` and `seed`, as they arrive from the payment processor: one JSON line per
 * settled card trip, `{"trip_id":…,"settled_at":"2024-01-01T01:25:12","amount":22.7,"tip_amount":3.5}`,
 * `trip_id` being the trip's Silver `trip_id` and `settled_at` naive New York time.
 *
 * Card trips (payment type 1) settle minutes to hours after the ride ends: 85 % at once (median
 * 4 minutes), the rest with the shift's batch upload (median 70 minutes; about 2.5 % of all
 * settlements more than 2 hours after the ride), 2 % never. Refunds and cash trips never settle.
 * A settlement whose trip was broken in transit, or rejected by Silver, still arrives: it settles
 * no trip. Lines come out in arrival order (settlement time plus up to {@link MAX_NETWORK_DELAY_MS}
 * of network delay). Deterministic: the same `events` and `seed` give byte-identical output,
 * whatever `duplicates` and `bad` are.
 *
 * @param options - `events` and `seed`, as for the trips.
 * @returns JSON lines, lazily.
 * @example
 * for (const line of generateSettlements({ events: 10_000, seed: 1 })) console.log(line);
 */
export function* generateSettlements(options: Pick<GenerateTripsOptions, 'events' | 'seed'>): Generator<string> {
  // Its own PRNG, so the trips are the same with or without settlements.
  const r = new Prng((options.seed ?? 1) ^ 0x2545f491);
  const heap = new ArrivalHeap<string>();
  let seq = 0;
  for (const { trip, pickupNaive, endNaive } of sampledTrips(options)) {
    // Every settlement comes after its ride's pickup, and rides come in pickup order.
    yield* lines(heap.popUntil(pickupNaive));
    const card = trip.payment_type === 1 && trip.fare_amount !== null && trip.fare_amount >= 0;
    if (!card || r.chance(P_NEVER_SETTLED)) continue;
    const delay = r.chance(P_CAPTURED_AT_ONCE) ? r.logNormal(4 * MINUTE_MS, 0.8) : r.logNormal(70 * MINUTE_MS, 0.6);
    const settledNaive = endNaive + Math.round(Math.min(delay, MAX_SETTLEMENT_DELAY_MS) / 1000) * 1000;
    const line = settlementLine({
      trip_id: tripId(trip),
      settled_at: formatNaiveTimestamp(settledNaive),
      amount: trip.total_amount,
      tip_amount: trip.tip_amount,
    });
    const network = Math.min(r.exponential(5_000), MAX_NETWORK_DELAY_MS);
    heap.push({ arrivalNaive: Math.round(settledNaive + network), seq: seq++, item: line });
  }
  yield* lines(heap.popUntil(Number.POSITIVE_INFINITY));
}

function* lines(pending: Iterable<{ item: string }>): Generator<string> {
  for (const p of pending) yield p.item;
}
