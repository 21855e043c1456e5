import { RecordRejected, valueState, type Sink, type Stream } from '../../src/index.js';
import type { SilverTrip } from './silver.js';

/** A zone is idle once this long has passed since its last pickup. */
export const ZONE_IDLE_AFTER_MS = 30 * 60_000;
/**
 * How far behind the watermark a pickup may arrive and still correct the alerts (as long as the
 * exact daily and hourly streams wait): the state keeps this much of each zone's pickups.
 */
export const ZONE_IDLE_HORIZON_MS = 3 * 24 * 3_600_000;

/** One line of `gold/zone-idle-alerts.jsonl`. */
export interface ZoneIdleAlert {
  /** Upsert key: `zone@idle_since`. A retraction carries the id of the alert it cancels. */
  id: string;
  zone: number;
  /** The zone's last pickup before the idle stretch, epoch ms. */
  idle_since: number;
  /** `idle_since` + 30 minutes: when the alert fired, in event time. */
  alert_at: number;
  /** True when a pickup that arrived late fell inside the stretch: the alert was wrong and is cancelled. */
  retracted: boolean;
}

const zoneState = {
  /** The zone's distinct pickup times within the horizon, ascending. */
  pickups: valueState<number[]>(),
  /** The `idle_since` of the alerts emitted and not retracted, ascending, within the horizon. */
  alerts: valueState<number[]>(),
};

/** The index of the first element of the ascending `xs` that is `>= x`. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * An alert line: the zone has had no pickup for 30 minutes since `since`, or (retracted) it had.
 *
 * @param zone - the pickup zone.
 * @param since - the zone's last pickup before the idle stretch, epoch ms.
 * @param retracted - whether this line cancels the alert.
 * @returns the line.
 * @example zoneIdleAlert(132, 1704067200000, false).id; // '132@1704067200000'
 */
export function zoneIdleAlert(zone: number, since: number, retracted: boolean): ZoneIdleAlert {
  return { id: `${zone}@${since}`, zone, idle_since: since, alert_at: since + ZONE_IDLE_AFTER_MS, retracted };
}

/**
 * "No pickup for 30 minutes" per pickup zone, as a keyed process function with event-time timers.
 * Each pickup sets a timer 30 minutes later; when the watermark passes it (every pickup up to then
 * has arrived, in whatever order), the alert fires if the zone had no pickup in between. A
 * store-and-forward pickup arriving after that, inside the stretch, retracts the alert (a line
 * with `retracted: true` and the same id), so the alerts kept after an upsert by id are exactly
 * the gaps of more than 30 minutes between consecutive pickups of a zone — the last pickup of a
 * zone included, as the end of the input fires every timer. A pickup more than
 * {@link ZONE_IDLE_HORIZON_MS} behind the watermark can no longer be placed and is a dead letter.
 *
 * @param silver - Silver trips, timestamped with their pickup.
 * @param sink - where alerts and retractions go.
 * @returns the stream, ending in the sink.
 * @example zoneIdleAlerts(silverTrips, toJsonl('gold/zone-idle-alerts.jsonl'));
 */
export function zoneIdleAlerts(silver: Stream<SilverTrip, any>, sink: Sink<ZoneIdleAlert>) {
  return silver
    .filter((t) => t.pickup_location_id !== null)
    .keyBy((t) => t.pickup_location_id as number)
    .process<typeof zoneState, ZoneIdleAlert>({
      state: zoneState,
      onRecord(trip, ctx) {
        const p = trip.pickup_ts;
        if (p < ctx.watermark - ZONE_IDLE_HORIZON_MS) {
          throw new RecordRejected('zone-idle: pickup more than 3 days behind the watermark, too late to correct the alerts');
        }
        const pickups = ctx.state.pickups.get() ?? [];
        const i = lowerBound(pickups, p);
        // Another trip in the same second: the zone's timeline does not change.
        if (pickups[i] === p) return;
        ctx.state.pickups.set(pickups.toSpliced(i, 0, p));
        ctx.timers.atEventTime(p + ZONE_IDLE_AFTER_MS);
        // Only the pickup just before can have an alert this one falls into: an alerted stretch has no pickup in it.
        const previous = pickups[i - 1];
        if (previous === undefined || p - previous > ZONE_IDLE_AFTER_MS) return;
        const alerts = ctx.state.alerts.get() ?? [];
        const j = lowerBound(alerts, previous);
        if (alerts[j] !== previous) return;
        ctx.state.alerts.set(alerts.toSpliced(j, 1));
        ctx.emit(zoneIdleAlert(ctx.key, previous, true));
      },
      onTimer(time, ctx) {
        const since = time - ZONE_IDLE_AFTER_MS;
        // Forget what no accepted pickup can reach any more.
        const horizon = since - ZONE_IDLE_HORIZON_MS;
        let pickups = ctx.state.pickups.get() ?? [];
        let alerts = ctx.state.alerts.get() ?? [];
        const oldPickups = lowerBound(pickups, horizon);
        if (oldPickups > 0) ctx.state.pickups.set((pickups = pickups.slice(oldPickups)));
        const oldAlerts = lowerBound(alerts, horizon);
        if (oldAlerts > 0) alerts = alerts.slice(oldAlerts);
        const next = pickups[lowerBound(pickups, since + 1)];
        if (next !== undefined && next <= time) {
          if (oldAlerts > 0) ctx.state.alerts.set(alerts);
          return;
        }
        // A late pickup's timer can fire after later ones: keep the list in order.
        ctx.state.alerts.set(alerts.toSpliced(lowerBound(alerts, since), 0, since));
        ctx.emit(zoneIdleAlert(ctx.key, since, false));
      },
    })
    .uid('zone-idle-alerts')
    .to(sink);
}
