/**
 * The settlement feed and the settlement join: the generator is deterministic and realistic, and
 * the streaming join's output equals the same left join in DuckDB, every settlement accounted for.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGoldOutputAgainstBatch } from '../../examples/taxi/batch-check.js';
import { generateTrips, sampledTrips } from '../../examples/taxi/generator.js';
import { nyNaiveToEpoch, parseNaiveTimestamp } from '../../examples/taxi/ny-time.js';
import { rawRecords, rawSettlements, runTaxiJob } from '../../examples/taxi/pipeline.js';
import { generateSettlements } from '../../examples/taxi/settlement-generator.js';
import type { SettlementRow } from '../../examples/taxi/settlement-join.js';
import { parseSettlement, type Settlement } from '../../examples/taxi/settlement.js';
import { tripId } from '../../examples/taxi/silver.js';

const digest = (lines: Iterable<string>) => {
  const h = createHash('sha256');
  for (const line of lines) h.update(line).update('\n');
  return h.digest('hex');
};

const parsed = (lines: Iterable<string>): Settlement[] =>
  [...lines].map((line) => {
    const r = parseSettlement(line);
    if (!r.ok) throw new Error(r.reason);
    return r.settlement;
  });

describe('the settlement feed', () => {
  it('the same seed gives the same bytes, another seed does not, and the trips stay the same', () => {
    const a = digest(generateSettlements({ events: 3000, seed: 1 }));
    expect(digest(generateSettlements({ events: 3000, seed: 1 }))).toBe(a);
    expect(digest(generateSettlements({ events: 3000, seed: 2 }))).not.toBe(a);
    // The trips do not depend on whether anyone reads the settlements.
    const trips = digest(generateTrips({ events: 3000, seed: 1 }));
    expect(digest(generateSettlements({ events: 3000, seed: 1 }))).toBe(a);
    expect(digest(generateTrips({ events: 3000, seed: 1 }))).toBe(trips);
  });

  it('settles card trips minutes to hours after the ride, some never, some after the 2-hour bound', () => {
    const events = 40_000;
    const rides = new Map<string, { endTs: number; card: boolean; total: number | null }>();
    for (const { trip, endNaive } of sampledTrips({ events, seed: 4 })) {
      const card = trip.payment_type === 1 && (trip.fare_amount as number) >= 0;
      rides.set(tripId(trip), { endTs: nyNaiveToEpoch(endNaive), card, total: trip.total_amount });
    }
    const cards = [...rides.values()].filter((r) => r.card).length;
    const settlements = parsed(generateSettlements({ events, seed: 4 }));
    const delays: number[] = [];
    for (const s of settlements) {
      const ride = rides.get(s.trip_id);
      expect(ride?.card).toBe(true);
      expect(s.amount).toBe(ride!.total);
      delays.push((s.settled_ts - ride!.endTs) / 60_000);
    }
    expect(new Set(settlements.map((s) => s.trip_id)).size).toBe(settlements.length);
    expect(1 - settlements.length / cards).toBeCloseTo(0.02, 2);
    delays.sort((x, y) => x - y);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays.at(-1)).toBeLessThanOrEqual(24 * 60);
    expect(delays[Math.floor(delays.length / 2)]).toBeGreaterThan(3);
    expect(delays[Math.floor(delays.length / 2)]).toBeLessThan(10);
    const late = delays.filter((d) => d > 120).length / delays.length;
    expect(late).toBeGreaterThan(0.015);
    expect(late).toBeLessThan(0.04);
  });

  it('comes in arrival order: no settlement more than a minute of network delay behind one before it', () => {
    let newest = -Infinity;
    for (const line of generateSettlements({ events: 5000, seed: 3 })) {
      const at = parseNaiveTimestamp(JSON.parse(line).settled_at)!;
      expect(at).toBeGreaterThanOrEqual(newest - 60_000);
      newest = Math.max(newest, at);
    }
  });

  it('parses settlements with the rules of Bronze: no coercion, a reason for every rejection', () => {
    const good = '{"trip_id":"ab","settled_at":"2024-01-01T01:25:12","amount":22.7,"tip_amount":3.5}';
    expect(parseSettlement(good)).toEqual({
      ok: true,
      settlement: {
        trip_id: 'ab',
        settled_at: '2024-01-01T01:25:12',
        amount: 22.7,
        tip_amount: 3.5,
        settled_ts: Date.UTC(2024, 0, 1, 6, 25, 12),
      },
    });
    expect(parseSettlement('{"trip_id":"ab",')).toMatchObject({ ok: false, reason: expect.stringMatching(/^broken JSON/) });
    expect(parseSettlement('[1]')).toEqual({ ok: false, reason: 'not a JSON object' });
    expect(parseSettlement(good.replace('"ab"', '""'))).toEqual({ ok: false, reason: 'missing trip_id' });
    expect(parseSettlement(good.replace('01:25:12', '25:25:12'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^bad timestamp/),
    });
    expect(parseSettlement(good.replace('22.7', '"22.7"'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^wrong type: amount/),
    });
  });
});

describe('the settlement join', () => {
  it('equals the left join in DuckDB row for row, and accounts for every settlement', { timeout: 120_000 }, async () => {
    const options = { events: 4000, seed: 5, duplicates: 0.02, bad: 0.01 };
    const out = mkdtempSync(join(tmpdir(), 'taxi-settlements-'));
    const result = await runTaxiJob({ ...options, out });
    const check = await checkGoldOutputAgainstBatch(out, rawRecords(options), rawSettlements(options));
    expect(check.text).toMatch(/^settlements: \d+ rows matched, 0 only in stream, 0 only in batch, 0 differ$/m);
    expect(check.settlements?.equal).toBe(true);
    expect(check.settlementsUnmatched?.equal).toBe(true);
    expect(check.equal).toBe(true);

    const rows = (name: string): SettlementRow[] =>
      readFileSync(join(out, 'gold', `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const trips = rows('settlements');
    const unmatched = rows('settlements-unmatched');
    const status = (s: string) => trips.filter((r) => r.status === s).length;
    expect(status('settled')).toBeGreaterThan(0);
    expect(status('unsettled')).toBeGreaterThan(0);
    expect(unmatched.length).toBeGreaterThan(0);
    expect(result.counts.gold.settlements).toBe(trips.length);
    // Each card trip once; each settlement either settles a trip or is unmatched.
    expect(new Set(trips.map((r) => r.trip_id)).size).toBe(trips.length);
    expect(status('settled') + unmatched.length).toBe([...generateSettlements(options)].length);
    for (const r of trips.filter((t) => t.status === 'settled')) {
      expect(r.settled_ts! - r.dropoff_ts!).toBeGreaterThanOrEqual(0);
      expect(r.settled_ts! - r.dropoff_ts!).toBeLessThanOrEqual(2 * 3_600_000);
    }

    // A changed amount is found.
    const path = join(out, 'gold', 'settlements.jsonl');
    const text = readFileSync(path, 'utf8');
    const settledLine = text.split('\n').find((l) => l.includes('"status":"settled"'))!;
    writeFileSync(path, text.replace(settledLine, settledLine.replace(/"settled_amount":([\d.]+)/, '"settled_amount":999')));
    const changed = await checkGoldOutputAgainstBatch(out, rawRecords(options), rawSettlements(options));
    expect(changed.equal).toBe(false);
    expect(changed.settlements?.differences).toHaveLength(1);
  });
});
