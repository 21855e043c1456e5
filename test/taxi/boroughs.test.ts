/**
 * The TLC zone table shipped with the example, and the borough Gold: the trips joined to it with
 * lookup joins and counted per hour equal the same join and aggregation in DuckDB.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGoldOutputAgainstBatch } from '../../examples/taxi/batch-check.js';
import { rawRecords, rawSettlements, runTaxiJob } from '../../examples/taxi/pipeline.js';
import { parseZoneTable, readZoneTable } from '../../examples/taxi/zone-table.js';

describe('the TLC zone table', () => {
  it('has the 265 zones, 264 Unknown and 265 outside of NYC', () => {
    const zones = readZoneTable();
    expect(zones.map((z) => z.LocationID)).toEqual(Array.from({ length: 265 }, (_, i) => i + 1));
    expect(zones[0]).toEqual({ LocationID: 1, Borough: 'EWR', Zone: 'Newark Airport', service_zone: 'EWR' });
    expect(zones[131]).toEqual({ LocationID: 132, Borough: 'Queens', Zone: 'JFK Airport', service_zone: 'Airports' });
    expect(zones[263]).toEqual({ LocationID: 264, Borough: 'Unknown', Zone: 'N/A', service_zone: 'N/A' });
    expect(zones[264]).toEqual({ LocationID: 265, Borough: 'N/A', Zone: 'Outside of NYC', service_zone: 'N/A' });
    expect(new Set(zones.map((z) => z.Borough))).toEqual(
      new Set(['EWR', 'Queens', 'Bronx', 'Manhattan', 'Staten Island', 'Brooklyn', 'Unknown', 'N/A']),
    );
  });

  it('reads quoted and plain fields, and names a line that is not a zone', () => {
    const header = 'LocationID,Borough,Zone,service_zone\n';
    expect(parseZoneTable(`${header}7,Queens,"Astoria, ""old""",Boro Zone\n`)).toEqual([
      { LocationID: 7, Borough: 'Queens', Zone: 'Astoria, "old"', service_zone: 'Boro Zone' },
    ]);
    expect(() => parseZoneTable('id,name\n')).toThrow(/not the TLC zone table header/);
    expect(() => parseZoneTable(`${header}x,Queens,Astoria,Boro Zone\n`)).toThrow(/line 2 is not a zone/);
    expect(() => parseZoneTable(`${header}7,Queens,Astoria\n`)).toThrow(/line 2 is not a zone/);
  });
});

describe('borough Gold', () => {
  it('equals the same lookup join and hourly aggregation in DuckDB', { timeout: 120_000 }, async () => {
    const options = { events: 4000, seed: 9, duplicates: 0.02, bad: 0.01 };
    const out = mkdtempSync(join(tmpdir(), 'taxi-boroughs-'));
    const result = await runTaxiJob({ ...options, out });
    const check = await checkGoldOutputAgainstBatch(out, rawRecords(options), rawSettlements(options));
    expect(check.text).toMatch(/^borough-hourly: \d+ windows matched, 0 only in stream, 0 only in batch, 0 values differ$/m);
    expect(check.text).toMatch(/^borough-pairs-hourly: \d+ windows matched, 0 only in stream, 0 only in batch, 0 values differ$/m);
    expect(check.boroughHourly?.matched).toBeGreaterThan(700);
    expect(check.boroughPairsHourly?.matched).toBeGreaterThan(check.boroughHourly!.matched);
    expect(check.equal).toBe(true);

    // Every Gold trip is counted once per stream, under a borough of the table.
    const lines = (name: string) =>
      readFileSync(join(out, 'gold', `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    // A window a straggler reached after it fired emits a further pane with the window's new total:
    // the last pane of each window counts.
    const trips = (rows: Array<{ key: string; window: { start: number }; value: { trips: number } }>) =>
      [...new Map(rows.map((r) => [`${r.key}@${r.window.start}`, r.value.trips])).values()].reduce((n, t) => n + t, 0);
    const hourly = lines('borough-hourly');
    expect(trips(hourly)).toBe(result.rules.metricsKept.rounded);
    expect(trips(lines('borough-pairs-hourly'))).toBe(result.rules.metricsKept.rounded);
    expect(new Set(hourly.map((r) => r.key))).toContain('Manhattan');
    expect(hourly.some((r) => r.key === 'none')).toBe(false);

    // A changed revenue is found.
    const path = join(out, 'gold', 'borough-hourly.jsonl');
    const text = readFileSync(path, 'utf8');
    writeFileSync(
      path,
      text.replace(/"revenue":([\d.]+)/, (_, x) => `"revenue":${Number(x) + 0.01}`),
    );
    const changed = await checkGoldOutputAgainstBatch(out, rawRecords(options), rawSettlements(options));
    expect(changed.equal).toBe(false);
    expect(changed.boroughHourly?.differences).toHaveLength(1);
  });
});
