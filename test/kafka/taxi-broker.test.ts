import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGoldAgainstBatch, checkGoldOutputAgainstBatch } from '../../examples/taxi/batch-check.js';
import { runTaxiOnKafka } from '../../examples/taxi/kafka-mode.js';
import { rawRecords, rawSettlements, runTaxiJob, type TaxiJobResult } from '../../examples/taxi/pipeline.js';
import type { WindowResult } from '../../src/index.js';
import { brokers } from './kafka-test-utils.js';

/** The final pane of every window: what an upsert by (key, window) keeps. */
function finalPanes(results: readonly WindowResult[]): Map<string, unknown> {
  const last = new Map<string, WindowResult>();
  for (const r of results) {
    if (r.retraction) continue;
    const k = `${JSON.stringify(r.key)}|${r.window.start}|${r.window.end}`;
    const prev = last.get(k);
    if (!prev || r.pane.index >= prev.pane.index) last.set(k, r);
  }
  return new Map([...last].map(([k, r]) => [k, r.value]));
}

/** A Gold file as a reader keeps it: the last line per id, retracted alerts dropped. */
function upserted(out: string, name: string): Map<string, unknown> {
  const rows = new Map<string, { id: string; retracted?: boolean }>();
  for (const line of readFileSync(join(out, 'gold', `${name}.jsonl`), 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const row = JSON.parse(line) as { id: string; retracted?: boolean };
    rows.set(row.id, row);
  }
  return new Map([...rows].filter(([, r]) => r.retracted !== true).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('taxi job on a real broker', () => {
  it('equals the embedded run on the same seed: Silver, dead letters, dedup, the exact Gold streams, borough windows, settlements and zone-idle alerts', async () => {
    const base = { events: 2500, seed: 11, duplicates: 0.02, bad: 0.01 };
    const embeddedOut = mkdtempSync(join(tmpdir(), 'taxi-embedded-'));
    const kafkaOut = mkdtempSync(join(tmpdir(), 'taxi-kafka-'));
    const embedded: TaxiJobResult = await runTaxiJob({ ...base, out: embeddedOut });
    const onKafka: TaxiJobResult = await runTaxiOnKafka({ ...base, out: kafkaOut }, brokers);

    expect(onKafka.counts.events).toBe(embedded.counts.events);
    expect(onKafka.counts.deadLetters).toBe(embedded.counts.deadLetters);
    expect(onKafka.counts.deadLetters).toBeGreaterThan(0);
    expect(onKafka.counts.dedupDrops).toBe(embedded.counts.dedupDrops);
    expect(onKafka.counts.silver).toBe(embedded.counts.silver);
    expect(onKafka.rules).toEqual(embedded.rules);
    expect(finalPanes(onKafka.gold.daily)).toEqual(finalPanes(embedded.gold.daily));
    expect(finalPanes(onKafka.gold.hourly)).toEqual(finalPanes(embedded.gold.hourly));
    expect((await checkGoldAgainstBatch(onKafka)).equal).toBe(true);

    // The settlements ride through their own topic; the join and the zone-idle process function give the same rows.
    for (const name of ['settlements', 'settlements-unmatched', 'zone-idle-alerts']) {
      const rows = upserted(kafkaOut, name);
      expect(rows.size, name).toBeGreaterThan(0);
      expect(rows, name).toEqual(upserted(embeddedOut, name));
    }
    expect(onKafka.counts.gold['settlements-unmatched']).toBe(embedded.counts.gold['settlements-unmatched']);
    // The borough windows after the zone-table lookups: the same final pane per (key, window).
    for (const name of ['borough-hourly', 'borough-pairs-hourly']) {
      const panes = (out: string) =>
        finalPanes(
          readFileSync(join(out, 'gold', `${name}.jsonl`), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l)),
        );
      expect(panes(kafkaOut).size, name).toBeGreaterThan(0);
      expect(panes(kafkaOut), name).toEqual(panes(embeddedOut));
    }
    const check = await checkGoldOutputAgainstBatch(kafkaOut, rawRecords(base), rawSettlements(base));
    expect(check.text).toMatch(/^settlements: \d+ rows matched, 0 only in stream, 0 only in batch, 0 differ$/m);
    expect(check.equal).toBe(true);
  });
});
