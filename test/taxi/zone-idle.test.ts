/**
 * Zone-idle alerts (a keyed process function with event-time timers): whatever the arrival order,
 * batch sizes and late pickups, the alerts kept after an upsert by id are the gaps of more than 30
 * minutes between consecutive pickups of a zone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SilverTrip } from '../../examples/taxi/silver.js';
import { ZONE_IDLE_AFTER_MS, zoneIdleAlert, zoneIdleAlerts, type ZoneIdleAlert } from '../../examples/taxi/zone-idle.js';
import { boundedOutOfOrderness, from, fromArray, toArray } from '../../src/index.js';
import { keyedEvents } from '../../src/testing/index.js';

const MINUTE = 60_000;

interface Pickup {
  zone: number;
  at: number;
}

async function run(arrival: readonly Pickup[], batchSize: number, delay: number): Promise<ZoneIdleAlert[]> {
  const out = toArray<ZoneIdleAlert>();
  const trips = arrival.map((p) => ({ pickup_location_id: p.zone, pickup_ts: p.at }) as SilverTrip);
  await zoneIdleAlerts(
    from(fromArray(trips, { batchSize })).withTimestamps((t) => t.pickup_ts, boundedOutOfOrderness(delay)),
    out,
  ).run();
  return out.items;
}

/** The batch answer: per zone, each distinct pickup whose next pickup is more than 30 minutes later, or absent. */
function gaps(pickups: readonly Pickup[]): ZoneIdleAlert[] {
  const byZone = new Map<number, Set<number>>();
  for (const p of pickups) byZone.set(p.zone, (byZone.get(p.zone) ?? new Set()).add(p.at));
  const alerts: ZoneIdleAlert[] = [];
  for (const [zone, set] of byZone) {
    const times = [...set].sort((a, b) => a - b);
    times.forEach((t, i) => {
      if (i === times.length - 1 || times[i + 1] - t > ZONE_IDLE_AFTER_MS) alerts.push(zoneIdleAlert(zone, t, false));
    });
  }
  return alerts;
}

/** What a reader keeps: the last line per id, without the retracted ones. */
function kept(lines: readonly ZoneIdleAlert[]): ZoneIdleAlert[] {
  const byId = new Map<string, ZoneIdleAlert>();
  for (const line of lines) byId.set(line.id, line);
  return [...byId.values()].filter((a) => !a.retracted);
}

const byId = (a: ZoneIdleAlert, b: ZoneIdleAlert) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('zone-idle alerts', () => {
  it('fires 30 minutes after a pickup with none since, and a late pickup inside the stretch retracts it', async () => {
    const arrival: Pickup[] = [
      { zone: 7, at: 0 },
      { zone: 7, at: 20 * MINUTE }, // within 30 minutes: no alert for 0
      { zone: 7, at: 120 * MINUTE }, // the watermark passes 20 + 30 minutes: alert for 20
      { zone: 7, at: 40 * MINUTE }, // late, 20 minutes after 20: the alert for 20 is retracted
    ];
    const lines = await run(arrival, 1, 0);
    expect(lines).toEqual([
      zoneIdleAlert(7, 20 * MINUTE, false),
      zoneIdleAlert(7, 20 * MINUTE, true),
      // The late pickup's own timer is already due; the end of the input fires the last one.
      zoneIdleAlert(7, 40 * MINUTE, false),
      zoneIdleAlert(7, 120 * MINUTE, false),
    ]);
    expect(kept(lines)).toEqual(gaps(arrival).sort(byId));
  });

  it('property: the alerts kept after an upsert by id are the batch gaps, for any arrival order, batch size and lateness', async () => {
    await fc.assert(
      fc.asyncProperty(
        keyedEvents({ keys: [1, 2, 3], timeRange: [0, 300], maxDisorder: 20, maxLength: 60, late: { fraction: 0.2, maxExtraDelay: 200 } }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 20 }),
        async ({ arrival }, batchSize, delay) => {
          // Event times in minutes, so 30-minute gaps are common.
          const pickups = arrival.map((e) => ({ zone: e.key, at: e.time * MINUTE }));
          const lines = await run(pickups, batchSize, delay * MINUTE);
          expect(kept(lines).sort(byId)).toEqual(gaps(pickups).sort(byId));
          // Each id is alerted at most once and retracted at most once, after its alert.
          const alerted = new Set<string>();
          const retracted = new Set<string>();
          for (const line of lines) {
            if (line.retracted) {
              expect(alerted.has(line.id) && !retracted.has(line.id)).toBe(true);
              retracted.add(line.id);
            } else {
              expect(alerted.has(line.id)).toBe(false);
              alerted.add(line.id);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
