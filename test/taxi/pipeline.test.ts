import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGoldAgainstBatch } from '../../examples/taxi/batch-check.js';
import { parseBronze } from '../../examples/taxi/bronze.js';
import { generateTrips } from '../../examples/taxi/generator.js';
import { GOLD_STREAMS } from '../../examples/taxi/gold.js';
import { runTaxiJob } from '../../examples/taxi/pipeline.js';
import { silverTrips, type SilverCounts } from '../../examples/taxi/silver.js';
import type { RawTrip } from '../../examples/taxi/raw-trip.js';

describe('taxi job (embedded)', () => {
  it('Gold equals the DuckDB batch Gold with out-of-order arrival, duplicates and broken records', async () => {
    const out = mkdtempSync(join(tmpdir(), 'streamkit-taxi-'));
    const options = { events: 6000, seed: 7, duplicates: 0.03, bad: 0.01, out };
    const result = await runTaxiJob(options);

    // Silver agrees with the batch reading of the same raw lines: predicates, then first copy per trip_id.
    const trips: RawTrip[] = [];
    let broken = 0;
    for (const line of generateTrips(options)) {
      const r = parseBronze(line);
      if (r.ok) trips.push(r.trip);
      else broken++;
    }
    const counts: SilverCounts = { kept: 0, rejected: 0, duplicates: 0 };
    const batchSilver = [...silverTrips(trips, counts)];
    expect(result.counts.deadLetters).toBe(broken);
    expect(broken).toBeGreaterThan(0);
    expect(result.counts.silver).toBe(batchSilver.length);
    expect(result.counts.dedupDrops).toBe(counts.duplicates);
    expect(counts.duplicates).toBeGreaterThan(0);
    expect(result.rules.silver).toBe(batchSilver.length);

    const check = await checkGoldAgainstBatch(result);
    expect(check.text).not.toMatch(/values differ.*[1-9]/);
    expect(check.daily.matched).toBeGreaterThanOrEqual(31);
    expect(check.hourly.matched).toBeGreaterThan(700);
    expect(check.equal).toBe(true);

    // The output layout users read.
    for (const f of ['bronze.jsonl', 'silver.jsonl', 'dead-letters.jsonl', ...GOLD_STREAMS.map((g) => `gold/${g}.jsonl`)]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const daily = readFileSync(join(out, 'gold/daily.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(daily[0]).toMatchObject({
      key: null,
      window: { start: expect.any(Number), end: expect.any(Number) },
      pane: { index: 0 },
      id: expect.any(String),
    });
    expect(daily[0].value).toHaveProperty('trips');
    expect(daily[0].value).toHaveProperty('revenue');
    const silverLines = readFileSync(join(out, 'silver.jsonl'), 'utf8').trim().split('\n');
    expect(silverLines).toHaveLength(batchSilver.length);
    expect(JSON.parse(silverLines[0])).toHaveProperty('trip_id');
  });
});
