import { count, table, tumbling, type Sink, type Stream, type WindowResult } from '../../src/index.js';
import { EXACT_LATENESS } from './gold.js';
import type { GoldTrip } from './metrics.js';
import { TAXI_TIME_ZONE } from './ny-time.js';
import { sqlSum } from './sql-aggregators.js';
import type { TaxiZone } from './zone-table.js';

/** A Gold trip with the boroughs of its pickup and dropoff zones (null for a zone not in the table). */
export interface BoroughTrip {
  trip: GoldTrip;
  pickup_borough: string | null;
  dropoff_borough: string | null;
}

/**
 * The key of a pickup → dropoff borough pair, `"Manhattan → Queens"`; a zone not in the table
 * reads as `none`.
 *
 * @param pickup - the pickup borough, or null.
 * @param dropoff - the dropoff borough, or null.
 * @returns the pair's text.
 * @example boroughPair('Manhattan', 'Queens'); // 'Manhattan → Queens'
 */
export function boroughPair(pickup: string | null, dropoff: string | null): string {
  return `${pickup ?? 'none'} → ${dropoff ?? 'none'}`;
}

/**
 * Looks up the boroughs of each trip's pickup and dropoff zones in the TLC zone table, a static
 * table (its rows are valid from the beginning of time; it is read completely before any trip
 * joins, and from then on every trip is answered at once, stragglers included). Two lookups, one
 * per zone column, each over its own copy of the table; the borough windows after them wait for
 * stragglers as long as the exact daily and hourly streams do, so every trip is counted.
 *
 * @param trips - Gold trips.
 * @param zoneRows - makes a stream of the zone table's rows (without event time: a static table),
 *   called once per lookup: over an array of rows, or over a compacted topic in `--brokers` mode.
 * @returns the trips with their boroughs.
 * @example withBoroughs(goldTrips, () => from(fromArray(readZoneTable())));
 */
export function withBoroughs(trips: Stream<GoldTrip, any>, zoneRows: () => Stream<TaxiZone>): Stream<BoroughTrip, any> {
  const zoneTable = () => table(zoneRows(), (z) => z.LocationID);
  return trips
    .lookup(
      zoneTable(),
      (t) => t.pickup_location_id,
      (trip, zone) => ({ trip, pickup_borough: zone?.Borough ?? null }),
      { kind: 'left' },
    )
    .uid('pickup-borough')
    .lookup(
      zoneTable(),
      (t) => t.trip.dropoff_location_id,
      (t, zone): BoroughTrip => ({ ...t, dropoff_borough: zone?.Borough ?? null }),
      { kind: 'left' },
    )
    .uid('dropoff-borough');
}

/** Trips and revenue (cents-exact) per key and New York wall-clock hour. */
function perHour(trips: Stream<BoroughTrip, any>, keyOf: (t: BoroughTrip) => string, sink: Sink<WindowResult<any, any>>) {
  return trips
    .keyBy(keyOf)
    .window(tumbling('1h', { timeZone: TAXI_TIME_ZONE }), { allowedLateness: EXACT_LATENESS })
    .aggregate({ trips: count(), revenue: sqlSum((t: BoroughTrip) => t.trip.total_amount, { scale: 2 }) })
    .to(sink);
}

/**
 * Gold per borough: trips and revenue per pickup borough per hour, and trips and revenue per
 * pickup → dropoff borough pair per hour, as branches over {@link withBoroughs}' output.
 *
 * @param sinks - `borough-hourly` and `borough-pairs-hourly`.
 * @returns the two branches.
 * @example enriched.branch(...boroughBranches({ 'borough-hourly': a, 'borough-pairs-hourly': b }));
 */
export function boroughBranches(sinks: Record<'borough-hourly' | 'borough-pairs-hourly', Sink<WindowResult<any, any>>>) {
  return [
    (s: Stream<BoroughTrip, any>) => perHour(s, (t) => t.pickup_borough ?? 'none', sinks['borough-hourly']),
    (s: Stream<BoroughTrip, any>) => perHour(s, (t) => boroughPair(t.pickup_borough, t.dropoff_borough), sinks['borough-pairs-hourly']),
  ];
}
