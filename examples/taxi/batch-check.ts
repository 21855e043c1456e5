import type { WindowResult } from '../../src/index.js';
import { batchGold } from './batch-gold.js';
import { compareGold, type GoldComparison } from './compare-gold.js';
import type { GoldRow } from './gold-row.js';
import type { TaxiJobResult } from './pipeline.js';

/** Streaming Gold field → the batch (dbt) column it must equal. */
const BATCH_COLUMN: Record<string, string> = {
  trips: 'total_trips',
  passengers: 'total_passengers',
  revenue: 'total_revenue',
  fare: 'total_fare',
  tips: 'total_tips',
  avg_distance: 'avg_distance_miles',
  avg_duration: 'avg_duration_minutes',
  avg_speed: 'avg_speed_mph',
  avg_tip_percentage: 'avg_tip_percentage',
  card_trips: 'card_trips',
  cash_trips: 'cash_trips',
};

function asBatchShape(results: readonly WindowResult<unknown, Record<string, number | null>>[]): GoldRow[] {
  return results
    .filter((r) => !r.retraction)
    .map((r) => ({
      window: r.window,
      pane: r.pane,
      value: Object.fromEntries(Object.entries(r.value).map(([k, v]) => [BATCH_COLUMN[k] ?? k, v])),
    }));
}

/**
 * Recomputes daily and hourly Gold in DuckDB over the same rows that fed the streaming job and
 * compares them window by window (the last pane of each streaming window is its answer).
 */
export async function checkGoldAgainstBatch(
  result: TaxiJobResult,
): Promise<{ equal: boolean; text: string; daily: GoldComparison; hourly: GoldComparison }> {
  const batch = await batchGold(result.goldInput);
  const daily = compareGold(asBatchShape(result.gold.daily as never), batch.daily);
  const hourly = compareGold(asBatchShape(result.gold.hourly as never), batch.hourly);
  const lines: string[] = [];
  for (const [name, c] of [
    ['daily', daily],
    ['hourly', hourly],
  ] as const) {
    lines.push(
      `${name}: ${c.matched} windows matched, ${c.onlyInStream.length} only in stream, ${c.onlyInBatch.length} only in batch, ${c.differences.length} values differ`,
    );
    for (const d of c.differences.slice(0, 10)) {
      lines.push(`  ${new Date(d.window.start).toISOString()} ${d.field}: stream ${d.stream} vs batch ${d.batch}`);
    }
  }
  return { equal: daily.equal && hourly.equal, text: lines.join('\n'), daily, hourly };
}
