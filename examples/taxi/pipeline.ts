import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import {
  boundedOutOfOrderness,
  from,
  fromArray,
  fromIterable,
  levelState,
  RecordRejected,
  toJsonl,
  type DeadLetter,
  type LateRecord,
  type RuntimeEvent,
  type RunSummary,
  type Sink,
  type Source,
  type WindowResult,
} from '../../src/index.js';
import { boroughBranches, withBoroughs } from './borough-gold.js';
import { parseBronze } from './bronze.js';
import { generateTrips, JANUARY_2024_TRIPS, MAX_NETWORK_DELAY_MS, TRIP_DISORDER_BOUND_MS } from './generator.js';
import { GoldInputColumns } from './gold-input.js';
import { goldBranches, GOLD_STREAMS, refundAlerts, type GoldOptions, type GoldStreamName } from './gold.js';
import { tripVerdicts, withMetrics, type GoldTrip, type MinuteRule } from './metrics.js';
import { nyNaiveToEpoch, parseNaiveTimestamp } from './ny-time.js';
import type { RawTrip } from './raw-trip.js';
import { generateSettlements } from './settlement-generator.js';
import { tripSettlements } from './settlement-join.js';
import { parseSettlement } from './settlement.js';
import { toSilver, type SilverTrip } from './silver.js';
import { zoneIdleAlerts } from './zone-idle.js';
import { parseZoneRow, readZoneTable, type TaxiZone } from './zone-table.js';

/** How far behind the newest pickup the watermark trails: every trip that is not store-and-forward is on time. */
export const WATERMARK_DELAY_MS = TRIP_DISORDER_BOUND_MS;
/** Duplicates are dropped if their copy came within this much event time (as long as the straggler window). */
export const DEDUP_WITHIN = '3d';

/** Records per batch of the taxi job (the library's default is 1,024; see `run()` below). */
const TAXI_BATCH_SIZE = 256;

export interface TaxiJobOptions {
  /** Generated trips (ignored with `parquet` or `source`). */
  events: number;
  seed: number;
  /** Probability of an exact duplicate per trip. */
  duplicates: number;
  /** Probability of a broken record per trip. */
  bad: number;
  /** Output folder; see `docs/taxi.md` for the layout. */
  out: string;
  /** A LevelDB state folder: checkpoints every `checkpointEvery` and resumes after a crash. */
  state?: string;
  checkpointEvery?: string;
  /** Read the real TLC parquet file instead of generating. */
  parquet?: string;
  /** Any other source of raw records (JSON lines or objects), e.g. `fromKafka(…)`. */
  source?: Source<unknown>;
  /**
   * The card-payment settlements (JSON lines or objects) joined to the trips. Default: the
   * generator's settlement feed for generated trips; none for `parquet` or `source`.
   */
  settlementsSource?: Source<unknown>;
  /** The TLC zone table the trips' boroughs are looked up in. Default: the shipped `taxi_zone_lookup.csv`. */
  zones?: readonly TaxiZone[];
  /**
   * Makes a source of the zone table's rows (JSON lines or objects) instead of `zones`: called once
   * per lookup, each source must end (a static table is read completely first). Used by `--brokers`.
   */
  zonesSource?: () => Source<unknown>;
  /** Serve Prometheus metrics on this port while the job runs. */
  metricsPort?: number;
  gold?: Partial<GoldOptions>;
  /** Extra sinks (Kafka topics) beside the files. */
  extraSinks?: Partial<Record<'silver' | 'deadLetters' | GoldStreamName, Sink<any>>>;
  /** Called with the number of raw records read so far, for progress displays. */
  onProgress?: (records: number) => void;
  /** The job's runtime events (checkpoints completed and restored, …), for progress displays. */
  onEvent?: (event: RuntimeEvent) => void;
}

export interface SilverRuleCounts {
  /** Silver rows (after the predicates and dedup): the published 9,855-style count. */
  silver: number;
  /** Rows kept by the impossible-trip filter under each way of counting minutes. */
  metricsKept: Record<MinuteRule, number>;
}

export interface TaxiJobResult {
  summary: RunSummary;
  counts: {
    events: number;
    bronze: number;
    silverRejected: number;
    silver: number;
    deadLetters: number;
    late: number;
    dedupDrops: number;
    gold: Record<GoldStreamName, number>;
    /** Card trips settled and unsettled within the bound (the rows of `gold/settlements.jsonl`). */
    settlements: { settled: number; unsettled: number };
  };
  rules: SilverRuleCounts;
  /** The columns of the Silver rows with metrics that fed Gold, in arrival order (for the batch check). */
  goldInput: GoldInputColumns;
  /** The daily and hourly Gold results as emitted (the other streams are in the output files). */
  gold: Pick<Record<GoldStreamName, WindowResult<any, any>[]>, 'daily' | 'hourly'>;
}

/**
 * The taxi job as one streamkit pipeline: raw records → Bronze (typed, or a dead letter) → Silver
 * (the published predicates, dedup on `trip_id`) → zone-idle alerts, and metrics and the
 * impossible-trip filter → seven Gold windows as branches, plus refund alerts over the negative-fare
 * records Silver rejects; then the pickup and dropoff boroughs from the zone table → two borough
 * windows; card trips are then joined with the settlement feed, when there is one.
 * Event time is the pickup instant in America/New_York (the dropoff for the settlement join).
 */
export async function runTaxiJob(options: TaxiJobOptions): Promise<TaxiJobResult> {
  const gold: GoldOptions = {
    runningTotalsEvery: 1000,
    // About twice a vendor's usual refunds per 10 minutes at this sample's scale (4 at full scale).
    refundThreshold: Math.max(1, Math.round((8 * options.events) / JANUARY_2024_TRIPS)),
    ...options.gold,
  };
  mkdirSync(join(options.out, 'gold'), { recursive: true });
  // A run that may resume (a state folder that exists) appends to its outputs; any other starts them afresh.
  const resuming = options.state !== undefined && existsSync(options.state);
  // Output must survive a machine crash only when a checkpoint can resume from it.
  const file = (name: string) => {
    const path = join(options.out, name);
    if (resuming) cutTornLine(path);
    return toJsonl(path, { truncate: !resuming, sync: options.state !== undefined });
  };
  // Daily and hourly results are kept for the batch check; the other streams are only counted.
  const kept = new Set<GoldStreamName>(['daily', 'hourly']);
  const goldFiles = Object.fromEntries(
    GOLD_STREAMS.map((name) => [name, collecting(file(`gold/${name}.jsonl`), options.extraSinks?.[name], kept.has(name))]),
  ) as Record<GoldStreamName, CollectingSink<any>>;
  const silverOut = collecting<SilverTrip>(file('silver.jsonl'), options.extraSinks?.silver, false);
  const goldInput = new GoldInputColumns();
  const goldInputSink: Sink<GoldTrip> = { name: 'gold-input', write: (trips) => trips.forEach((t) => goldInput.push(t)) };
  const dead = collecting<DeadLetter>(file('dead-letters.jsonl'), options.extraSinks?.deadLetters, false);
  const late = file('late.jsonl') as Sink<LateRecord>;
  const bronzeOut = file('bronze.jsonl');
  const rules: SilverRuleCounts = { silver: 0, metricsKept: { rounded: 0, truncated: 0, boundary: 0 } };
  let silverRejected = 0;
  // Counted here rather than from the run's summary, which also counts the settlement feed's records.
  let tripRecords = 0;
  let bronzeTrips = 0;

  const source = options.source ?? fromIterable(counted(rawRecords(options), options.onProgress));
  const bronze = from(source)
    .map((raw) => {
      tripRecords++;
      const r = parseBronze(raw);
      if (!r.ok) throw new RecordRejected(r.deadLetter.reason);
      bronzeTrips++;
      return r.trip;
    })
    .deadLetters(dead);

  const job = bronze
    .branch(
      (s) => s.to(bronzeOut),
      (s) =>
        refundAlerts(
          s
            .filter((t) => t.fare_amount !== null && t.fare_amount < 0 && t.tpep_pickup_datetime !== null)
            .map((t) => ({ ...t, pickup_ts: pickupEpoch(t) }))
            .withTimestamps((t) => t.pickup_ts, boundedOutOfOrderness(WATERMARK_DELAY_MS)),
          goldFiles['refund-alerts'],
          gold,
        ),
    )
    .map(toSilver)
    .filter((s): s is SilverTrip => {
      if (s === null) silverRejected++;
      return s !== null;
    })
    .withTimestamps((t) => t.pickup_ts, boundedOutOfOrderness(WATERMARK_DELAY_MS))
    .dedup((t) => t.trip_id, { within: DEDUP_WITHIN })
    .branch(
      (s) => s.to(silverOut),
      (s) => zoneIdleAlerts(s, goldFiles['zone-idle-alerts']),
    )
    .map((t) => {
      rules.silver++;
      const verdicts = tripVerdicts(t);
      const kept = rules.metricsKept;
      if (verdicts.rounded) kept.rounded++;
      if (verdicts.truncated) kept.truncated++;
      if (verdicts.boundary) kept.boundary++;
      return withMetrics(t);
    })
    .filter((t): t is GoldTrip => t !== null)
    .branch((s) => s.to(goldInputSink), ...goldBranches({ ...goldFiles, late }, gold));
  const zoneSource = options.zonesSource;
  const zoneRows = zoneSource
    ? () =>
        from(zoneSource())
          .map((raw) => {
            try {
              return parseZoneRow(typeof raw === 'string' ? JSON.parse(raw) : raw);
            } catch (error) {
              throw new RecordRejected(`zone row: ${(error as Error).message}`);
            }
          })
          .deadLetters(dead)
    : () => from(fromArray(options.zones ?? readZoneTable()));
  const boroughs = withBoroughs(job, zoneRows)
    .late(late)
    .deadLetters(dead)
    .branch(...boroughBranches(goldFiles));

  const settlementsSource = options.settlementsSource ?? defaultSettlements(options);
  const settlementCounts = { settled: 0, unsettled: 0 };
  const settled = settlementsSource
    ? tripSettlements(
        boroughs.map((t) => t.trip),
        from(settlementsSource)
          .map((raw) => {
            const r = parseSettlement(raw);
            if (!r.ok) throw new RecordRejected(r.reason);
            return r.settlement;
          })
          .withTimestamps((s) => s.settled_ts, boundedOutOfOrderness(MAX_NETWORK_DELAY_MS))
          .deadLetters(dead),
        { settled: countingStatus(goldFiles.settlements, settlementCounts), unmatched: goldFiles['settlements-unmatched'], late, dead },
      )
    : boroughs;

  const summary = await settled.run({
    // Small batches: each batch's records, window states and results stay in the CPU caches and die
    // young; 10k events run about 10 % faster than with the default 1,024, 100k as fast.
    batchSize: TAXI_BATCH_SIZE,
    state: options.state ? levelState(options.state) : undefined,
    checkpointEvery: options.state ? (options.checkpointEvery ?? '5s') : undefined,
    metrics: options.metricsPort !== undefined ? { port: options.metricsPort } : undefined,
    onEvent: options.onEvent,
  });

  const goldCounts = Object.fromEntries(GOLD_STREAMS.map((name) => [name, goldFiles[name].count])) as Record<GoldStreamName, number>;
  return {
    summary,
    counts: {
      events: tripRecords,
      bronze: bronzeTrips,
      silverRejected,
      silver: silverOut.count,
      deadLetters: dead.count,
      late: summary.late,
      dedupDrops: summary.duplicates,
      gold: goldCounts,
      settlements: settlementCounts,
    },
    rules,
    goldInput,
    gold: { daily: goldFiles.daily.items, hourly: goldFiles.hourly.items },
  };
}

/**
 * The raw records of a run, from the parquet file or the generator: the same sequence every time
 * for the same options (a resumed run skips what its checkpoint covers; the batch check reads it all).
 * @param options - the run's `parquet` file, or the generator's `events`, `seed`, `duplicates` and `bad`.
 * @returns JSON lines (generated) or decoded rows (parquet).
 * @example for (const line of rawRecords({ events: 10, seed: 1, duplicates: 0, bad: 0 }) as Iterable<string>) console.log(line);
 */
export function rawRecords(
  options: Pick<TaxiJobOptions, 'parquet' | 'events' | 'seed' | 'duplicates' | 'bad'>,
): Iterable<unknown> | AsyncIterable<unknown> {
  if (options.parquet) return parquetTrips(options.parquet);
  return generateTrips({ events: options.events, seed: options.seed, duplicates: options.duplicates, bad: options.bad });
}

/**
 * The settlement events of a run, when it has any: the generator's settlement feed for generated
 * trips (the same sequence every time for the same `events` and `seed`), none for the parquet file.
 * @param options - the run's `parquet` file, or the generator's `events` and `seed`.
 * @returns JSON lines, or `undefined`.
 * @example for (const line of rawSettlements({ events: 10, seed: 1 }) ?? []) console.log(line);
 */
export function rawSettlements(options: Pick<TaxiJobOptions, 'parquet' | 'events' | 'seed'>): Iterable<string> | undefined {
  if (options.parquet) return undefined;
  return generateSettlements({ events: options.events, seed: options.seed });
}

function defaultSettlements(options: TaxiJobOptions): Source<unknown> | undefined {
  if (options.source) return undefined;
  const lines = rawSettlements(options);
  // The union reads one batch of each feed in turn. About three settlements come per four trips,
  // so batches three quarters the size keep both feeds at the same event time, and the join holds
  // only the settlements its bound needs rather than a feed that ran days ahead.
  return lines && fromIterable(lines, { batchSize: Math.round(TAXI_BATCH_SIZE * 0.75) });
}

/** The parquet reader (hyparquet) is loaded only when a parquet file is read. */
async function* parquetTrips(path: string): AsyncGenerator<RawTrip> {
  const { readParquetTrips } = await import('./parquet.js');
  yield* readParquetTrips(path);
}

function pickupEpoch(t: RawTrip): number {
  const naive = parseNaiveTimestamp(t.tpep_pickup_datetime as string);
  return naive === null ? Number.NaN : nyNaiveToEpoch(naive);
}

/** Counts what passes and reports progress every 256 records (checkpoint lines quote the count). */
function counted<T>(records: Iterable<T> | AsyncIterable<T>, onProgress?: (n: number) => void): Iterable<T> | AsyncIterable<T> {
  if (!onProgress) return records;
  let n = 0;
  const report = () => onProgress(n);
  if (Symbol.asyncIterator in records) {
    return (async function* () {
      for await (const r of records as AsyncIterable<T>) {
        if ((++n & 255) === 0) report();
        yield r;
      }
      report();
    })();
  }
  return (function* () {
    for (const r of records as Iterable<T>) {
      if ((++n & 255) === 0) report();
      yield r;
    }
    report();
  })();
}

/** Passes rows on to `sink`, counting them by `status`. */
function countingStatus<T extends { status: string }>(sink: Sink<T>, counts: Record<string, number>): Sink<T> {
  return {
    name: sink.name,
    open: sink.open?.bind(sink),
    flush: sink.flush?.bind(sink),
    close: sink.close?.bind(sink),
    write(batch: T[]) {
      for (const row of batch) counts[row.status] = (counts[row.status] ?? 0) + 1;
      return sink.write(batch);
    },
  };
}

interface CollectingSink<T> extends Sink<T> {
  readonly items: T[];
  readonly count: number;
}

/** Writes to a file sink (and an optional extra sink), counting, and keeping the items if asked. */
function collecting<T>(sink: Sink<T>, extra: Sink<T> | undefined, keep: boolean): CollectingSink<T> {
  const items: T[] = [];
  const all = extra ? [sink, extra] : [sink];
  let count = 0;
  return {
    name: sink.name,
    items,
    get count() {
      return count;
    },
    async open(context) {
      // Each sink hands back what it cannot write through the job's context.
      for (const s of all) await s.open?.(context);
    },
    async write(batch: T[]) {
      count += batch.length;
      if (keep) for (const item of batch) items.push(item);
      for (const s of all) await s.write(batch);
    },
    async flush() {
      for (const s of all) await s.flush?.();
    },
    async close() {
      for (const s of all) await s.close?.();
    },
  };
}

/**
 * Cuts a line a killed process left half-written at the end of an output file, before a resumed
 * run appends to it: the line was written after the last checkpoint, so the resumed run writes it
 * again, whole. Without the cut, its first line would be glued to the torn one.
 */
function cutTornLine(path: string): void {
  if (!existsSync(path)) return;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const block = Buffer.alloc(64 * 1024);
    let end = size;
    // Scan back from the end for the last newline; the file is whole if it ends with one.
    while (end > 0) {
      const from = Math.max(0, end - block.length);
      const n = readSync(fd, block, 0, end - from, from);
      const nl = block.subarray(0, n).lastIndexOf(0x0a);
      if (nl >= 0) {
        if (from + nl + 1 < size) ftruncateSync(fd, from + nl + 1);
        return;
      }
      end = from;
    }
    if (size > 0) ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
}
