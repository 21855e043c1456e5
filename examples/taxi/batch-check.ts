import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { WindowResult } from '../../src/index.js';
import { batchGold } from './batch-gold.js';
import { parseBronze } from './bronze.js';
import { compareGold, type GoldComparison } from './compare-gold.js';
import { GoldInputColumns } from './gold-input.js';
import type { GoldRow } from './gold-row.js';
import { withMetrics, type GoldTrip } from './metrics.js';
import type { TaxiJobResult } from './pipeline.js';
import { toSilver } from './silver.js';

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

/** The streaming daily and hourly Gold results a check compares. */
export interface StreamedGold {
  daily: readonly WindowResult<unknown, any>[];
  hourly: readonly WindowResult<unknown, any>[];
}

/** The verdict of a batch check: `equal`, a readable report, and the comparison of each stream. */
export interface GoldCheck {
  equal: boolean;
  text: string;
  daily: GoldComparison;
  hourly: GoldComparison;
}

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
 * Recomputes daily and hourly Gold in DuckDB over `input` (Silver trips with metrics) and compares
 * them window by window with the streaming results (the last pane of each window is its answer).
 * @param streamed - the streaming daily and hourly results.
 * @param input - the Gold input rows the batch side aggregates.
 * @returns the verdict.
 * @example const check = await compareWithBatch({ daily, hourly }, goldInput); if (!check.equal) console.log(check.text);
 */
export async function compareWithBatch(streamed: StreamedGold, input: Iterable<GoldTrip>): Promise<GoldCheck> {
  const batch = await batchGold(input);
  const daily = compareGold(asBatchShape(streamed.daily), batch.daily);
  const hourly = compareGold(asBatchShape(streamed.hourly), batch.hourly);
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

/**
 * The check within one uninterrupted run: the daily and hourly results this run emitted against
 * batch Gold over the rows that fed them. A resumed run emitted only part of its results and read
 * only part of its input: check it with {@link checkGoldOutputAgainstBatch}.
 * @param result - what `runTaxiJob` returned.
 * @returns the verdict.
 * @example const check = await checkGoldAgainstBatch(await runTaxiJob(options));
 */
export function checkGoldAgainstBatch(result: TaxiJobResult): Promise<GoldCheck> {
  return compareWithBatch(result.gold, result.goldInput);
}

/**
 * The check after any number of runs into one output folder, a killed and resumed one included:
 * the complete daily and hourly Gold files (after upsert by `id`, as a reader of at-least-once
 * output keeps them) against batch Gold computed over the whole raw input, independently of the
 * streaming job: Bronze, Silver with the first copy of each `trip_id` kept, metrics, then DuckDB.
 * @param out - the output folder (`gold/daily.jsonl`, `gold/hourly.jsonl`).
 * @param raw - every raw record of the input, from its start (see `rawRecords`).
 * @returns the verdict.
 * @example const check = await checkGoldOutputAgainstBatch('out', rawRecords(options));
 */
export async function checkGoldOutputAgainstBatch(out: string, raw: Iterable<unknown> | AsyncIterable<unknown>): Promise<GoldCheck> {
  const streamed = {
    daily: await readResults(join(out, 'gold', 'daily.jsonl')),
    hourly: await readResults(join(out, 'gold', 'hourly.jsonl')),
  };
  return compareWithBatch(streamed, await goldInputOf(raw));
}

/** The window results of a Gold file, upserted by `id`: a pane written again after a restart counts once. */
async function readResults(path: string): Promise<WindowResult<unknown, any>[]> {
  const byId = new Map<string, WindowResult<unknown, any>>();
  if (!existsSync(path)) return [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length === 0) continue;
    const result = JSON.parse(line) as WindowResult<unknown, any>;
    byId.set(result.id, result);
  }
  return [...byId.values()];
}

/** Batch Bronze → Silver → metrics over the whole raw input: the rows batch Gold aggregates. */
async function goldInputOf(raw: Iterable<unknown> | AsyncIterable<unknown>): Promise<GoldInputColumns> {
  const rows = new GoldInputColumns();
  const seen = new Set<string>();
  const add = (record: unknown) => {
    const bronze = parseBronze(record);
    if (!bronze.ok) return;
    const silver = toSilver(bronze.trip);
    // The published dedup: the first copy of each trip_id.
    if (silver === null || seen.has(silver.trip_id)) return;
    seen.add(silver.trip_id);
    const gold = withMetrics(silver);
    if (gold !== null) rows.push(gold);
  };
  if (Symbol.asyncIterator in raw) for await (const record of raw) add(record);
  else for (const record of raw) add(record);
  return rows;
}
