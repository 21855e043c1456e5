import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGoldAgainstBatch } from '../../examples/taxi/batch-check.js';
import { runTaxiOnKafka } from '../../examples/taxi/kafka-mode.js';
import { runTaxiJob, type TaxiJobResult } from '../../examples/taxi/pipeline.js';
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

describe('taxi job on a real broker', () => {
  it('equals the embedded run on the same seed: Silver, dead letters, dedup and the exact Gold streams', async () => {
    const base = { events: 2500, seed: 11, duplicates: 0.02, bad: 0.01 };
    const embedded: TaxiJobResult = await runTaxiJob({ ...base, out: mkdtempSync(join(tmpdir(), 'taxi-embedded-')) });
    const onKafka: TaxiJobResult = await runTaxiOnKafka({ ...base, out: mkdtempSync(join(tmpdir(), 'taxi-kafka-')) }, brokers);

    expect(onKafka.counts.events).toBe(embedded.counts.events);
    expect(onKafka.counts.deadLetters).toBe(embedded.counts.deadLetters);
    expect(onKafka.counts.deadLetters).toBeGreaterThan(0);
    expect(onKafka.counts.dedupDrops).toBe(embedded.counts.dedupDrops);
    expect(onKafka.counts.silver).toBe(embedded.counts.silver);
    expect(onKafka.rules).toEqual(embedded.rules);
    expect(finalPanes(onKafka.gold.daily)).toEqual(finalPanes(embedded.gold.daily));
    expect(finalPanes(onKafka.gold.hourly)).toEqual(finalPanes(embedded.gold.hourly));
    expect((await checkGoldAgainstBatch(onKafka)).equal).toBe(true);
  });
});
