import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { WindowResult } from '../../src/index.js';
import { batchBoroughs, type ZoneTrip } from './batch-boroughs.js';
import { batchGold } from './batch-gold.js';
import { batchSettlements } from './batch-settlements.js';
import { batchZoneIdle, type ZonePickup } from './batch-zone-idle.js';
import { parseBronze } from './bronze.js';
import { compareGold, type GoldComparison } from './compare-gold.js';
import { compareRowsById, type RowComparison } from './compare-rows.js';
import { GoldInputColumns } from './gold-input.js';
import type { GoldRow } from './gold-row.js';
import { withMetrics, type GoldTrip } from './metrics.js';
import type { TaxiJobResult } from './pipeline.js';
import { CARD_PAYMENT, cardTrip, type CardTrip, type SettlementRow } from './settlement-join.js';
import { parseSettlement, type Settlement } from './settlement.js';
import { toSilver } from './silver.js';
import type { ZoneIdleAlert } from './zone-idle.js';
import { readZoneTable, type TaxiZone } from './zone-table.js';

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
  /** Trips and revenue per pickup borough, and per borough pair, per hour (checked over an output folder). */
  boroughHourly?: GoldComparison;
  boroughPairsHourly?: GoldComparison;
  /** The zone-idle alerts kept after an upsert by id (checked over an output folder). */
  zoneIdle?: RowComparison<ZoneIdleAlert>;
  /** The settlement join's two outputs (checked over an output folder with a settlement feed). */
  settlements?: RowComparison<SettlementRow>;
  settlementsUnmatched?: RowComparison<SettlementRow>;
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
 * the complete Gold files (after upsert by `id`, as a reader of at-least-once output keeps them)
 * against the same Gold computed in batch over the whole raw input, independently of the streaming
 * job: Bronze, Silver with the first copy of each `trip_id` kept, metrics, then DuckDB — daily and
 * hourly Gold, the borough Gold over the same trips joined to the zone table, the zone-idle gaps,
 * and, given the settlement feed, the left join of card trips with their settlements and the
 * settlements left over.
 * @param out - the output folder (`gold/*.jsonl`).
 * @param raw - every raw record of the input, from its start (see `rawRecords`).
 * @param settlements - every raw settlement record (see `rawSettlements`), when the run had a feed.
 * @param zones - the zone table the run looked boroughs up in; default the shipped one.
 * @returns the verdict.
 * @example const check = await checkGoldOutputAgainstBatch('out', rawRecords(options), rawSettlements(options));
 */
export async function checkGoldOutputAgainstBatch(
  out: string,
  raw: Iterable<unknown> | AsyncIterable<unknown>,
  settlements?: Iterable<unknown>,
  zones: readonly TaxiZone[] = readZoneTable(),
): Promise<GoldCheck> {
  const gold = (name: string) => join(out, 'gold', `${name}.jsonl`);
  const streamed = {
    daily: [...(await readUpserted<WindowResult<unknown, any>>(gold('daily'))).values()],
    hourly: [...(await readUpserted<WindowResult<unknown, any>>(gold('hourly'))).values()],
  };
  const input = await batchInputOf(raw);
  const check = await compareWithBatch(streamed, input.gold);
  const boroughs = await batchBoroughs(input.zoneTrips, zones);
  const windows: Array<[string, GoldComparison]> = [
    ['borough-hourly', compareGold(await windowRows(gold('borough-hourly')), boroughs.boroughHourly, { kinds: BOROUGH_KINDS })],
    [
      'borough-pairs-hourly',
      compareGold(await windowRows(gold('borough-pairs-hourly')), boroughs.boroughPairsHourly, { kinds: BOROUGH_KINDS }),
    ],
  ];
  const alerts = [...(await readUpserted<ZoneIdleAlert>(gold('zone-idle-alerts'))).values()].filter((a) => !a.retracted);
  const zoneIdle = compareRowsById(alerts, await batchZoneIdle(input.pickups));
  const rows: Array<[string, RowComparison<unknown & { id: string }>]> = [['zone-idle-alerts', zoneIdle]];
  let joined: Pick<GoldCheck, 'settlements' | 'settlementsUnmatched'> = {};
  if (settlements !== undefined) {
    const batch = await batchSettlements(input.cardTrips, parsedSettlements(settlements));
    joined = {
      settlements: compareRowsById((await readUpserted<SettlementRow>(gold('settlements'))).values(), batch.settled),
      settlementsUnmatched: compareRowsById((await readUpserted<SettlementRow>(gold('settlements-unmatched'))).values(), batch.unmatched),
    };
    rows.push(['settlements', joined.settlements!], ['settlements-unmatched', joined.settlementsUnmatched!]);
  }
  const lines = [check.text];
  for (const [name, c] of windows) {
    lines.push(
      `${name}: ${c.matched} windows matched, ${c.onlyInStream.length} only in stream, ${c.onlyInBatch.length} only in batch, ${c.differences.length} values differ`,
    );
    for (const d of c.differences.slice(0, 5))
      lines.push(`  ${d.key} ${new Date(d.window.start).toISOString()} ${d.field}: stream ${d.stream} vs batch ${d.batch}`);
  }
  for (const [name, c] of rows) {
    lines.push(
      `${name}: ${c.matched} rows matched, ${c.onlyInStream.length} only in stream, ${c.onlyInBatch.length} only in batch, ${c.differences.length} differ`,
    );
    for (const d of c.differences.slice(0, 5)) lines.push(`  stream ${JSON.stringify(d.stream)}\n  batch  ${JSON.stringify(d.batch)}`);
    for (const r of c.onlyInStream.slice(0, 5)) lines.push(`  only in stream ${JSON.stringify(r)}`);
    for (const r of c.onlyInBatch.slice(0, 5)) lines.push(`  only in batch ${JSON.stringify(r)}`);
  }
  return {
    ...check,
    ...joined,
    boroughHourly: windows[0][1],
    boroughPairsHourly: windows[1][1],
    zoneIdle,
    equal: check.equal && windows.every(([, c]) => c.equal) && rows.every(([, c]) => c.equal),
    text: lines.join('\n'),
  };
}

/** The rows of a Gold file, upserted by `id`: a line written again after a restart counts once, the last line of an id wins. */
async function readUpserted<T extends { id: string }>(path: string): Promise<Map<string, T>> {
  const byId = new Map<string, T>();
  if (!existsSync(path)) return byId;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length === 0) continue;
    const row = JSON.parse(line) as T;
    byId.set(row.id, row);
  }
  return byId;
}

/** How the borough Gold's fields compare: counts exactly, money to the cent. */
const BOROUGH_KINDS = { trips: 'count', revenue: 'money' } as const;

/** A window Gold file as rows to compare: upserted by id, the last pane of each window its answer. */
async function windowRows(path: string): Promise<GoldRow[]> {
  const results = (await readUpserted<WindowResult<string, Record<string, number | null>>>(path)).values();
  return [...results].map((r) => ({ key: r.key, window: r.window, pane: r.pane, value: r.value }));
}

/** The settlements batch reads: every record that parses (the others are the stream's dead letters too). */
function* parsedSettlements(raw: Iterable<unknown>): Generator<Settlement> {
  for (const record of raw) {
    const r = parseSettlement(record);
    if (r.ok) yield r.settlement;
  }
}

/** What the batch side computes from: Gold input rows (whole, and their zones), card trips and Silver pickups. */
interface BatchInput {
  gold: GoldInputColumns;
  zoneTrips: ZoneTrip[];
  cardTrips: CardTrip[];
  pickups: ZonePickup[];
}

/** Batch Bronze → Silver → metrics over the whole raw input: the rows batch Gold aggregates. */
async function batchInputOf(raw: Iterable<unknown> | AsyncIterable<unknown>): Promise<BatchInput> {
  const input: BatchInput = { gold: new GoldInputColumns(), zoneTrips: [], cardTrips: [], pickups: [] };
  const seen = new Set<string>();
  const add = (record: unknown) => {
    const bronze = parseBronze(record);
    if (!bronze.ok) return;
    const silver = toSilver(bronze.trip);
    // The published dedup: the first copy of each trip_id.
    if (silver === null || seen.has(silver.trip_id)) return;
    seen.add(silver.trip_id);
    input.pickups.push({ zone: silver.pickup_location_id, pickup_ts: silver.pickup_ts });
    const gold = withMetrics(silver);
    if (gold === null) return;
    input.gold.push(gold);
    const { pickup_ts, pickup_location_id, dropoff_location_id, total_amount } = gold;
    input.zoneTrips.push({ pickup_ts, pickup_location_id, dropoff_location_id, total_amount });
    if (gold.payment_type_id === CARD_PAYMENT) input.cardTrips.push(cardTrip(gold));
  };
  if (Symbol.asyncIterator in raw) for await (const record of raw) add(record);
  else for (const record of raw) add(record);
  return input;
}
