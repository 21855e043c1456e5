import {
  afterCount,
  count,
  global,
  hopping,
  session,
  sliding,
  sum,
  tumbling,
  type LateRecord,
  type Sink,
  type Stream,
  type WindowAssigner,
  type WindowResult,
} from '../../src/index.js';
import type { GoldTrip } from './metrics.js';
import { TAXI_TIME_ZONE } from './ny-time.js';
import type { RawTrip } from './raw-trip.js';
import { countIf, sqlAvg, sqlSum } from './sql-aggregators.js';

/**
 * The Gold streams, in the order the summary lists them; each is written to `gold/<name>.jsonl`.
 * The first seven are windows over the trips, the borough ones windows over the trips enriched
 * with the zone table (lookup joins); zone-idle alerts come from a process function, and the
 * settlements from an interval join with the settlement feed.
 */
export const GOLD_STREAMS = [
  'daily',
  'hourly',
  'zone-5m',
  'zone-1h-every-5m',
  'zone-sessions',
  'refund-alerts',
  'running-totals',
  'borough-hourly',
  'borough-pairs-hourly',
  'zone-idle-alerts',
  'settlements',
  'settlements-unmatched',
] as const;
export type GoldStreamName = (typeof GOLD_STREAMS)[number];

/**
 * Daily and hourly Gold must equal the batch answer, so they accept every straggler: a
 * store-and-forward record can arrive up to about two days after its trip.
 */
export const EXACT_LATENESS = '3d';
/** The zone streams are operational views: a straggler beyond ten minutes goes to the late output. */
export const ZONE_LATENESS = '10m';

export interface GoldOptions {
  /** Records per pane of the running totals. */
  runningTotalsEvery: number;
  /** A refund alert fires when more than this many negative-fare records fall in 10 minutes for one vendor. */
  refundThreshold: number;
}

type GoldSinks = Record<GoldStreamName, Sink<any>> & { late: Sink<LateRecord> };

/** Money is summed in whole cents (decimal mode): exact, printed as cents, never with float noise. */
const MONEY = { scale: 2 } as const;

/** Revenue: SQL semantics (nulls skipped), in cents. */
const revenue = () => sqlSum((t: GoldTrip) => t.total_amount, MONEY);

/** The daily summary: the dbt `int_daily_summary` columns, per New York calendar day. */
export function dailySummary(trips: Stream<GoldTrip, any>, sink: GoldSinks['daily']) {
  return trips
    .window(tumbling('1d', { timeZone: TAXI_TIME_ZONE }), { allowedLateness: EXACT_LATENESS })
    .aggregate({
      trips: count(),
      passengers: sqlSum((t: GoldTrip) => t.passenger_count),
      revenue: revenue(),
      fare: sum((t: GoldTrip) => t.fare_amount, MONEY),
      tips: sqlSum((t: GoldTrip) => t.tip_amount, MONEY),
      avg_distance: sqlAvg((t: GoldTrip) => t.trip_distance_miles),
      avg_duration: sqlAvg((t: GoldTrip) => t.trip_duration_minutes),
      avg_speed: sqlAvg((t: GoldTrip) => t.avg_speed_mph),
      avg_tip_percentage: sqlAvg((t: GoldTrip) => t.tip_percentage),
      card_trips: countIf((t: GoldTrip) => t.payment_type_id === 1),
      cash_trips: countIf((t: GoldTrip) => t.payment_type_id === 2),
    })
    .to(sink);
}

/** Hourly patterns per New York wall-clock hour. */
export function hourlyPatterns(trips: Stream<GoldTrip, any>, sink: GoldSinks['hourly']) {
  return trips
    .window(tumbling('1h', { timeZone: TAXI_TIME_ZONE }), { allowedLateness: EXACT_LATENESS })
    .aggregate({
      trips: count(),
      avg_distance: sqlAvg((t: GoldTrip) => t.trip_distance_miles),
      avg_duration: sqlAvg((t: GoldTrip) => t.trip_duration_minutes),
      revenue: revenue(),
    })
    .to(sink);
}

/** Every Gold stream over the trips, as branches of one pipeline, plus refund alerts over raw negative fares. */
export function goldBranches(sinks: GoldSinks, options: GoldOptions) {
  return [
    (s: Stream<GoldTrip, any>) => dailySummary(s, sinks.daily),
    (s: Stream<GoldTrip, any>) => hourlyPatterns(s, sinks.hourly),
    (s: Stream<GoldTrip, any>) => zoneRevenue(s, tumbling('5m'), sinks['zone-5m'], sinks.late),
    (s: Stream<GoldTrip, any>) => zoneRevenue(s, hopping('1h', '5m'), sinks['zone-1h-every-5m'], sinks.late),
    (s: Stream<GoldTrip, any>) => zoneRevenue(s, session('15m'), sinks['zone-sessions'], sinks.late),
    (s: Stream<GoldTrip, any>) =>
      s
        .window(global(), { trigger: afterCount(options.runningTotalsEvery) })
        .aggregate({ trips: count(), revenue: revenue() })
        .to(sinks['running-totals']),
  ];
}

/** Trips and revenue per pickup zone in the given windows; stragglers beyond 10 minutes go to `late`. */
function zoneRevenue(trips: Stream<GoldTrip, any>, assigner: WindowAssigner, sink: Sink<WindowResult<any, any>>, late: Sink<LateRecord>) {
  return trips
    .keyBy((t) => t.pickup_location_id)
    .window(assigner, { allowedLateness: ZONE_LATENESS })
    .aggregate({ trips: count(), revenue: revenue() })
    .late(late)
    .to(sink);
}

/** Refund alerts: sliding 10 minutes per vendor over negative-fare records, above a threshold. */
export function refundAlerts(raw: Stream<RawTrip & { pickup_ts: number }, any>, sink: GoldSinks['refund-alerts'], options: GoldOptions) {
  return raw
    .keyBy((t) => t.VendorID)
    .window(sliding('10m'), { allowedLateness: ZONE_LATENESS })
    .aggregate({ refunds: count(), amount: sqlSum((t: RawTrip) => t.fare_amount, MONEY) })
    .filter((r) => r.value.refunds > options.refundThreshold)
    .to(sink);
}
